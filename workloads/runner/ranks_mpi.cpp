// Ranks over MPI (OpenMPI, MPICH): MPI_Init when started by mpirun, collectives on COMM_WORLD.
#include <mpi.h>

#include <sched.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "workloads/runner/ranks.hpp"

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
  void barrier() override {
    MPI_Request req = MPI_REQUEST_NULL;
    check(MPI_Ibarrier(MPI_COMM_WORLD, &req), "MPI_Ibarrier");
    wait(req, "MPI_Ibarrier");
  }

  std::vector<std::string> gather(const std::string& mine) override {
    const int n = static_cast<int>(mine.size());
    std::vector<int> sizes(root() ? static_cast<std::size_t>(size_) : 0);
    MPI_Request req = MPI_REQUEST_NULL;
    check(MPI_Igather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD, &req),
          "MPI_Igather");
    wait(req, "MPI_Igather");
    std::vector<int> at(sizes.size());
    std::size_t total = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      at[i] = static_cast<int>(total);
      total += static_cast<std::size_t>(sizes[i]);
    }
    std::string all(total, '\0');
    check(MPI_Igatherv(mine.data(), n, MPI_CHAR, all.data(), sizes.data(), at.data(), MPI_CHAR, 0,
                       MPI_COMM_WORLD, &req),
          "MPI_Igatherv");
    wait(req, "MPI_Igatherv");
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
    MPI_Request req = MPI_REQUEST_NULL;
    check(MPI_Ibcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD, &req), "MPI_Ibcast");
    wait(req, "MPI_Ibcast");
    text.resize(static_cast<std::size_t>(n));
    check(MPI_Ibcast(text.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD, &req), "MPI_Ibcast");
    wait(req, "MPI_Ibcast");
    return nlohmann::json::parse(text).get<std::vector<std::string>>();
  }

  bool any(bool mine) override {
    int in = mine ? 1 : 0;
    int out = 0;
    MPI_Request req = MPI_REQUEST_NULL;
    check(MPI_Iallreduce(&in, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req), "MPI_Iallreduce");
    wait(req, "MPI_Iallreduce");
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
          send(&t0, peer);
          receive(&theirs, peer);
          const auto t1 = static_cast<std::int64_t>(now_ns());
          if (t1 - t0 < best_rtt) {
            best_rtt = t1 - t0;
            offsets[static_cast<std::size_t>(peer)] = {t0 + (t1 - t0) / 2 - theirs, t1 - t0};
          }
        } else if (rank_ == peer) {
          std::int64_t t0 = 0;
          receive(&t0, 0);
          const auto mine = static_cast<std::int64_t>(now_ns());
          send(&mine, 0);
        }
      }
    }
    return offsets;
  }

 private:
  // Completes `req`, polling (as MPI's blocking calls do, yielding the CPU between polls for
  // oversubscribed runs); past timeout_ns() ends the job.
  void wait(MPI_Request& req, const char* call) {
    const std::uint64_t deadline = now_ns() + timeout_ns();
    for (int done = 0;;) {
      check(MPI_Test(&req, &done, MPI_STATUS_IGNORE), call);
      if (done != 0) return;
      if (now_ns() > deadline) {
        std::fprintf(stderr,
                     "aistor: rank %d: %s: the other ranks did not join within rank_timeout "
                     "(%.0f s): a rank is stuck or gone; ending the job\n",
                     rank_, call, static_cast<double>(timeout_ns()) / 1e9);
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
      sched_yield();
    }
  }
  void send(const std::int64_t* value, int peer) {
    MPI_Request req = MPI_REQUEST_NULL;
    check(MPI_Isend(value, 1, MPI_INT64_T, peer, 7, MPI_COMM_WORLD, &req), "MPI_Isend");
    wait(req, "MPI_Isend");
  }
  void receive(std::int64_t* value, int peer) {
    MPI_Request req = MPI_REQUEST_NULL;
    check(MPI_Irecv(value, 1, MPI_INT64_T, peer, 7, MPI_COMM_WORLD, &req), "MPI_Irecv");
    wait(req, "MPI_Irecv");
  }

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
