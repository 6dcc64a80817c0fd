// aistor: parses the verb, installs the signal handlers, calls the library.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <string>
#include <vector>

#include "apps/cli.hpp"
#include "workloads/runner/ranks.hpp"

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) {
  // First signal: stop workers and write the partial report. Second: leave at once.
  if (g_stop.exchange(true)) _exit(130);
}

void install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  static_assert(std::atomic<bool>::is_always_lock_free);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << aistor::cli::usage();
    return args.empty() ? 2 : 0;
  }
  std::string verb = args[0];
  args.erase(args.begin());
  aistor::cli::Streams io{std::cout, std::cerr, isatty(STDERR_FILENO) == 1};
  if (verb == "run") {
    install_handlers();
    aistor::RanksSession ranks(&argc, &argv);  // MPI, when started by mpirun
    return aistor::cli::run(args, io, g_stop);
  }
  if (verb == "mlperf") {
    install_handlers();
    aistor::RanksSession ranks(&argc, &argv);  // a checkpoint preset's ranks across hosts
    return aistor::cli::mlperf(args, io, g_stop);
  }
  if (verb == "gen") {
    install_handlers();
    return aistor::cli::gen(args, io, g_stop);
  }
  if (verb == "inspect") return aistor::cli::inspect(args, io);
  if (verb == "validate") return aistor::cli::validate(args, io);
  if (verb == "engines") return aistor::cli::engines(args, io);
  if (verb == "probe") return aistor::cli::probe(args, io);
  if (verb == "report") return aistor::cli::report(args, io);
  if (verb == "compare") return aistor::cli::compare(args, io);
  if (verb == "history") return aistor::cli::history(args, io);
  if (verb == "trace") return aistor::cli::trace(args, io);
  std::cerr << "aistor: unknown command \"" << verb << "\"\n" << aistor::cli::usage();
  return 2;
}
