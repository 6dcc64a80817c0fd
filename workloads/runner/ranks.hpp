#pragma once
// The ranks of an MPI job, when aistor runs under mpirun: what the runner needs of MPI, in plain
// C++ (only ranks_mpi.cpp includes mpi.h; without MPI, ranks_none.cpp says there are none).
//
// Every call is collective: each rank makes the same calls in the same order (the plan is the
// same everywhere), or the job waits — at most timeout_ns() (the config's "rank_timeout"): a
// collective the other ranks have not joined by then (a rank stuck in I/O, stopped, or gone
// without MPI noticing) prints one line naming the call and ends the whole job (MPI_Abort), so
// a job never hangs. Not thread-safe: call from the thread that runs the plan.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aistor {

class Ranks {
 public:
  virtual ~Ranks() = default;
  static constexpr std::uint64_t kDefaultTimeoutNs = 30ull * 60 * 1'000'000'000;
  void set_timeout_ns(std::uint64_t ns) noexcept { timeout_ns_ = ns; }
  [[nodiscard]] std::uint64_t timeout_ns() const noexcept { return timeout_ns_; }
  [[nodiscard]] virtual int rank() const = 0;
  [[nodiscard]] virtual int size() const = 0;
  [[nodiscard]] bool root() const { return rank() == 0; }
  virtual void barrier() = 0;
  // Every rank's string, in rank order, on every rank.
  [[nodiscard]] virtual std::vector<std::string> all_strings(const std::string& mine) = 0;
  // Every rank's bytes at rank 0 (empty on the others): the large messages.
  [[nodiscard]] virtual std::vector<std::string> gather(const std::string& mine) = 0;
  // Whether any rank says true.
  [[nodiscard]] virtual bool any(bool mine) = 0;
  // At rank 0, per rank: ns to add to that rank's steady clock to read rank 0's, measured by
  // ping-pong (the round trip with the least delay of several), and that round trip: the offset
  // is exact to within half of it. Empty on the others.
  struct ClockOffset {
    std::int64_t offset_ns = 0;
    std::int64_t rtt_ns = 0;
  };
  [[nodiscard]] virtual std::vector<ClockOffset> clock_offsets() = 0;

 private:
  std::uint64_t timeout_ns_ = kDefaultTimeoutNs;
};

// The MPI world while a session is open, else null (not under mpirun, or built without MPI).
[[nodiscard]] Ranks* world_ranks();

// Opens MPI (MPI_Init) when this process was started by mpirun, for as long as it lives;
// otherwise does nothing. At most one at a time.
class RanksSession {
 public:
  RanksSession(int* argc, char*** argv);
  RanksSession(const RanksSession&) = delete;
  RanksSession& operator=(const RanksSession&) = delete;
  ~RanksSession();

 private:
  std::unique_ptr<Ranks> ranks_;
};

// Whether aistor was built with MPI (for `aistor engines` and the report).
[[nodiscard]] bool built_with_mpi();

}  // namespace aistor
