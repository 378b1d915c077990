# Our warning flags, as an INTERFACE target that only our own targets link, so
# system headers and third-party code are never held to them.
add_library(rlm_warnings INTERFACE)
target_compile_options(rlm_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wnull-dereference
  -Wimplicit-fallthrough -Wformat=2)
if(RLM_WERROR)
  target_compile_options(rlm_warnings INTERFACE -Werror)
endif()
