// Built without MPI: there are never ranks; a process started by mpirun runs on its own.
#include "workloads/runner/ranks.hpp"

namespace aistor {

Ranks* world_ranks() {
  return nullptr;
}

RanksSession::RanksSession(int*, char***) {}
RanksSession::~RanksSession() = default;

bool built_with_mpi() {
  return false;
}

}  // namespace aistor
