// The rlm executable: everything lives in the library; this only hands over the arguments.
#include "rlm/cli/app.hpp"

int main(int argc, char** argv) {
  try {
    return rlm::cli::run(argc, argv);
  } catch (...) {
    return 1; // nothing could even be reported (stderr failed too): still a defined exit
  }
}
