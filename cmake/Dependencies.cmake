# Every dependency comes from Debian 12's packages (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(CURL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
pkg_check_modules(LUA REQUIRED IMPORTED_TARGET lua5.4)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# toml++ is compiled from its headers into our library (src/config/toml_impl.cpp) rather
# than linked from the packaged shared library, so our build flags (C++23) and exception
# settings cannot disagree with the ones that library was built with.
find_path(TOMLPP_INCLUDE_DIR toml++/toml.h REQUIRED)
add_library(rlm_tomlplusplus INTERFACE)
target_include_directories(rlm_tomlplusplus SYSTEM INTERFACE "${TOMLPP_INCLUDE_DIR}")
target_compile_definitions(rlm_tomlplusplus INTERFACE TOML_HEADER_ONLY=0 TOML_EXCEPTIONS=1)

if(RLM_BUILD_TESTS)
  find_package(GTest REQUIRED)
  find_package(Python3 3.11 REQUIRED COMPONENTS Interpreter)
endif()
if(RLM_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
