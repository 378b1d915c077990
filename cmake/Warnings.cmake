# Our warning flags, as an INTERFACE target that only our own targets link, so
# system headers and third-party code are never held to them.
add_library(rlm_warnings INTERFACE)
target_compile_options(rlm_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)
# Not -Wnull-dereference: with GCC 12 at -O2 it fires inside libstdc++ code inlined from
# third-party headers (CLI11's string splitting), where no change of ours can silence it.
if(RLM_WERROR)
  target_compile_options(rlm_warnings INTERFACE -Werror)
endif()
