// Provides the io_uring engine to the engine registry (engines/registry.hpp), which lists it as
// unavailable until this file is linked in. Linked into every program that runs engines as an
// object file of its own (engines/CMakeLists.txt), with liburing; the config fuzz target, which
// only validates configs, links neither.
#include "engines/io_uring_engine.hpp"
#include "engines/registry.hpp"

namespace aistor {
namespace {

[[maybe_unused]] const bool registered = [] {
  provide_engine(io_uring_engine_info());
  return true;
}();

}  // namespace
}  // namespace aistor
