# Every dependency comes from Debian 12's packages (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(CURL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(fmt 9 REQUIRED)
pkg_check_modules(LUA REQUIRED IMPORTED_TARGET lua5.4)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# rlm_lua and rlm_re2: Lua and RE2 from Debian's static archives where they are installed (both
# link into a position-independent executable), else the shared libraries. Statically linked,
# the worker maps two fewer libraries at start and calls Lua without going through the PLT.
find_library(RLM_LUA_ARCHIVE NAMES liblua5.4.a)
find_library(RLM_RE2_ARCHIVE NAMES libre2.a)
add_library(rlm_lua INTERFACE)
add_library(rlm_re2 INTERFACE)
if(RLM_LUA_ARCHIVE AND RLM_RE2_ARCHIVE)
  target_include_directories(rlm_lua SYSTEM INTERFACE ${LUA_INCLUDE_DIRS})
  target_link_libraries(rlm_lua INTERFACE "${RLM_LUA_ARCHIVE}" m ${CMAKE_DL_LIBS})
  target_include_directories(rlm_re2 SYSTEM INTERFACE ${RE2_INCLUDE_DIRS})
  target_link_libraries(rlm_re2 INTERFACE "${RLM_RE2_ARCHIVE}" Threads::Threads)
else()
  target_link_libraries(rlm_lua INTERFACE PkgConfig::LUA)
  target_link_libraries(rlm_re2 INTERFACE PkgConfig::RE2)
endif()

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
