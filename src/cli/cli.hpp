// The pgmapcheck command line.
#pragma once

namespace pgmapcheck {

// Runs the command line; returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace pgmapcheck
