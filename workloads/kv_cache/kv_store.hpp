#pragma once
// Where the storage tier keeps an entry's bytes, in one of two layouts:
//  - file_per_entry: "<dir>/e-<serial>.kv", created when the entry is written, removed when it is
//    dropped (MLPerf's benchmark, LMCache's local disk, llm-d's filesystem backend);
//  - slab: `slabs` files "<dir>/slab-<n>.kv" made and preallocated before the clock starts, each
//    cut into fixed slots of `slot_bytes` (vLLM's native disk backend).
// The directory holds only what the store made: a marker file says so, and a store refuses a
// directory with any other file in it (it removes its own leftovers from an earlier run).
// Not thread-safe: KvCache locks it.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <unordered_map>
#include <vector>

namespace aistor {

enum class KvLayout : std::uint8_t { file_per_entry, slab };

struct KvPlace {
  std::filesystem::path path;
  std::uint64_t offset = 0;
  int slab = -1;  // the slab's index, -1 for a file of its own
};

class KvStore {
 public:
  static constexpr const char* kMarker = ".aistor-kv-cache";

  // slab: `slots` slots of `slot_bytes` over `slabs` files (slot i in slab i % slabs).
  KvStore(KvLayout layout, std::filesystem::path dir, std::uint64_t slot_bytes = 0,
          std::uint64_t slots = 0, unsigned slabs = 1);

  // Untimed: makes the directory (and its marker), removes this store's leftovers, refuses
  // (InputError) files it did not make, and creates and preallocates the slabs. Throws
  // SystemError (ENOSPC: the slabs do not fit) naming the file.
  void prepare();
  // Where a new storage entry goes (slab: a free slot; none left is a logic error: the tier's
  // budget is the slots').
  [[nodiscard]] KvPlace assign(std::uint64_t serial);
  [[nodiscard]] KvPlace find(std::uint64_t serial) const;
  // The entry left storage: its file is removed, or its slot freed.
  void release(std::uint64_t serial);
  // After the phase: every entry file removed (slabs and marker stay for the next run).
  void remove_entries();

  [[nodiscard]] KvLayout layout() const noexcept { return layout_; }
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }
  [[nodiscard]] std::vector<std::filesystem::path> slab_paths() const;
  [[nodiscard]] std::filesystem::path marker() const { return dir_ / kMarker; }
  [[nodiscard]] std::uint64_t entries() const noexcept { return live_.size(); }

 private:
  [[nodiscard]] KvPlace place_of(std::uint64_t serial, std::uint64_t slot) const;

  KvLayout layout_;
  std::filesystem::path dir_;
  std::uint64_t slot_bytes_;
  std::uint64_t slots_;
  unsigned slabs_;
  std::vector<std::uint64_t> free_;                        // slab: free slots, popped from the back
  std::unordered_map<std::uint64_t, std::uint64_t> live_;  // serial -> slot (0 for files)
};

}  // namespace aistor
