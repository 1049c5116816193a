# Build options every ordeal target links to (warnings, sanitizers), carried by an interface
# target instead of global flags.
add_library(ordeal_build_options INTERFACE)
add_library(ordeal::build_options ALIAS ordeal_build_options)
target_compile_options(ordeal_build_options INTERFACE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
target_compile_definitions(ordeal_build_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  ORDEAL_VERSION="${PROJECT_VERSION}")
if(ORDEAL_SANITIZE)
  target_compile_options(ordeal_build_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(ordeal_build_options INTERFACE -fsanitize=address,undefined)
endif()

# ordeal_module(NAME [DEPS ...]): a static library ordeal_NAME with alias ordeal::NAME built
# from NAME/src/*.cpp, public headers under NAME/include/ordeal/NAME/.
function(ordeal_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  if(sources)
    add_library(ordeal_${name} STATIC ${sources})
    set(scope PUBLIC)
  else()  # a module with headers only (so far)
    add_library(ordeal_${name} INTERFACE)
    set(scope INTERFACE)
  endif()
  add_library(ordeal::${name} ALIAS ordeal_${name})
  target_include_directories(ordeal_${name} ${scope} ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(ordeal_${name} ${scope} ordeal::build_options ${ARG_DEPS})
endfunction()
