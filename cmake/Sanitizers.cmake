# AddressSanitizer + UndefinedBehaviorSanitizer for the whole build (the asan preset).
if(RLM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# The fuzz preset: every file instrumented for libFuzzer's coverage, under ASan and UBSan;
# the fuzz executables add -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt).
if(RLM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "RLM_FUZZ needs clang (the fuzz preset uses clang++-19)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
