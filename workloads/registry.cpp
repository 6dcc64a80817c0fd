#include "workloads/workload.hpp"

#include "workloads/checkpoint/checkpoint_workload.hpp"
#include "workloads/kv_cache/kv_cache_workload.hpp"
#include "workloads/model_load/model_load_workload.hpp"
#include "workloads/model_load/storm_workload.hpp"
#include "workloads/pack/pack_workload.hpp"
#include "workloads/raw/raw_workload.hpp"
#include "workloads/replay/replay_workload.hpp"
#include "workloads/samples/samples_workload.hpp"
#include "workloads/vector_search/vector_search_workload.hpp"

namespace aistor {

const std::vector<WorkloadInfo>& workloads() {
  static const std::vector<WorkloadInfo> all{
      raw_workload_info(),        samples_workload_info(),       checkpoint_workload_info(),
      model_load_workload_info(), storm_workload_info(),         pack_workload_info(),
      kv_cache_workload_info(),   vector_search_workload_info(), replay_workload_info()};
  return all;
}

const WorkloadInfo* find_workload(std::string_view name) {
  for (const auto& w : workloads()) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

}  // namespace aistor
