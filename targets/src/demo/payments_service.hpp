#pragma once

#include <string>

#include "http_server.hpp"
#include "idempotency_store.hpp"
#include "sqlite_db.hpp"

// `ordeal payments`: charges keyed by Idempotency-Key (docs/demo.md).
namespace ordeal::targets::demo {

class payments_service {
 public:
  explicit payments_service(const std::string& db_path);
  response handle(const request& req, const peer_info& peer);

 private:
  response create_charge(const request& req);
  response list_charges(const request& req);

  sqlite_db db_;
  idempotency_store keys_;
};

}  // namespace ordeal::targets::demo
