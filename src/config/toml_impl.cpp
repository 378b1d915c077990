// The one translation unit that compiles toml++'s implementation (TOML_HEADER_ONLY=0).
#define TOML_IMPLEMENTATION
#include "toml.hpp"
