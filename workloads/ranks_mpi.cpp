// Ranks over MPI (OpenMPI, MPICH): MPI_Init when started by mpirun, collectives on COMM_WORLD.
#include <mpi.h>

#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "workloads/ranks.hpp"

namespace aistor {
namespace {

Ranks* g_world = nullptr;

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int n = 0;
  MPI_Error_string(rc, text, &n);
  throw SystemError(EIO,
                    fmt::format("{}: {}", call, std::string(text, static_cast<std::size_t>(n))));
}

// Started by a launcher: OpenMPI's mpirun, MPICH's or Slurm's PMI.
bool under_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(v) != nullptr) return true;
  }
  return false;
}

class MpiRanks final : public Ranks {
 public:
  MpiRanks() {
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  std::vector<std::string> gather(const std::string& mine) override {
    const int n = static_cast<int>(mine.size());
    std::vector<int> sizes(root() ? static_cast<std::size_t>(size_) : 0);
    check(MPI_Gather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
    std::vector<int> at(sizes.size());
    std::size_t total = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      at[i] = static_cast<int>(total);
      total += static_cast<std::size_t>(sizes[i]);
    }
    std::string all(total, '\0');
    check(MPI_Gatherv(mine.data(), n, MPI_CHAR, all.data(), sizes.data(), at.data(), MPI_CHAR, 0,
                      MPI_COMM_WORLD),
          "MPI_Gatherv");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < sizes.size(); ++i)
      out.push_back(
          all.substr(static_cast<std::size_t>(at[i]), static_cast<std::size_t>(sizes[i])));
    return out;
  }

  std::vector<std::string> all_strings(const std::string& mine) override {
    std::string text;
    if (const auto parts = gather(mine); root()) text = nlohmann::json(parts).dump();
    int n = static_cast<int>(text.size());
    check(MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
    text.resize(static_cast<std::size_t>(n));
    check(MPI_Bcast(text.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
    return nlohmann::json::parse(text).get<std::vector<std::string>>();
  }

  bool any(bool mine) override {
    int in = mine ? 1 : 0;
    int out = 0;
    check(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
    return out != 0;
  }

  std::vector<ClockOffset> clock_offsets() override {
    constexpr int kRounds = 16;
    std::vector<ClockOffset> offsets;
    if (root()) offsets.assign(static_cast<std::size_t>(size_), ClockOffset{});
    for (int peer = 1; peer < size_; ++peer) {
      std::int64_t best_rtt = INT64_MAX;
      for (int i = 0; i < kRounds; ++i) {
        if (root()) {
          const auto t0 = static_cast<std::int64_t>(now_ns());
          std::int64_t theirs = 0;
          check(MPI_Send(&t0, 1, MPI_INT64_T, peer, 7, MPI_COMM_WORLD), "MPI_Send");
          check(MPI_Recv(&theirs, 1, MPI_INT64_T, peer, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                "MPI_Recv");
          const auto t1 = static_cast<std::int64_t>(now_ns());
          if (t1 - t0 < best_rtt) {
            best_rtt = t1 - t0;
            offsets[static_cast<std::size_t>(peer)] = {t0 + (t1 - t0) / 2 - theirs, t1 - t0};
          }
        } else if (rank_ == peer) {
          std::int64_t t0 = 0;
          check(MPI_Recv(&t0, 1, MPI_INT64_T, 0, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
          const auto mine = static_cast<std::int64_t>(now_ns());
          check(MPI_Send(&mine, 1, MPI_INT64_T, 0, 7, MPI_COMM_WORLD), "MPI_Send");
        }
      }
    }
    return offsets;
  }

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace

Ranks* world_ranks() {
  return g_world;
}

RanksSession::RanksSession(int* argc, char*** argv) {
  if (!under_mpirun() || g_world != nullptr) return;
  check(MPI_Init(argc, argv), "MPI_Init");
  ranks_ = std::make_unique<MpiRanks>();
  g_world = ranks_.get();
}

RanksSession::~RanksSession() {
  if (!ranks_) return;
  g_world = nullptr;
  ranks_.reset();
  MPI_Finalize();
}

bool built_with_mpi() {
  return true;
}

}  // namespace aistor
