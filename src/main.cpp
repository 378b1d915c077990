// The rlm executable: everything lives in the library; this only hands over the arguments.
#include "rlm/cli/app.hpp"

int main(int argc, char** argv) { return rlm::cli::run(argc, argv); }
