// pgmapcheck's entry point.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return pgmapcheck::run_cli(argc, argv); }
