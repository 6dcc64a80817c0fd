// The samples workload's untimed preparation: the dataset found or generated, indexed, shared
// among ranks, and the batch pipeline shaped for it.
#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "workloads/samples/samples_workload.hpp"

namespace aistor {

void SamplesWorkload::locate_dataset(const PhaseEnv& env) {
  dataset_info_ = nlohmann::json::object();
  if (params_.dataset) {
    const auto spec_json = formats::to_json(*params_.dataset);
    dataset_dir_ =
        env.dir / fmt::format("dataset-{}-{}", formats::to_string(params_.dataset->format),
                              sha256_hex(spec_json.dump()).substr(0, 12));
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    const auto g = formats::generate_dataset(*params_.dataset, dataset_dir_, threads, env.stop);
    dataset_info_["generated"] = !g.reused;
    dataset_info_["generate_s"] = g.seconds;
  } else {
    dataset_dir_ = params_.path;
    dataset_info_["generated"] = false;
  }
}

std::vector<std::uint64_t> SamplesWorkload::index_files(bool raw) {
  const auto& index = *index_;
  files_.clear();
  std::vector<std::uint64_t> file_starts;
  max_length_ = 0;
  payload_bytes_ = 0;
  for (std::uint64_t i = 0; i < index.size(); ++i) {
    const auto& ref = index.at(i);
    max_length_ = std::max(max_length_, ref.length);
    payload_bytes_ += ref.length;
    if (raw) {
      // no list: a raw tree is one file per sample, the directory stands for them all
    } else if (file_starts.empty() || ref.file != index.at(i - 1).file) {
      // Record files hold contiguous samples, file by file; files without samples hold none.
      while (file_starts.size() <= ref.file) {
        file_starts.push_back(i);
        files_.push_back(index.path_of({0, 0, static_cast<std::uint32_t>(file_starts.size() - 1)}));
      }
    }
  }
  if (raw) {
    files_.push_back(dataset_dir_);
  } else {
    file_starts.push_back(index.size());
  }
  return file_starts;
}

std::vector<std::filesystem::path> SamplesWorkload::prepare(const PhaseEnv& env) {
  locate_dataset(env);
  failure_.clear();
  stream_ = false;
  verify_seed_.reset();
  if (prepare_stream()) {
    if (env.ranks > 1) {
      throw InputError(fmt::format(
          "{}: a compressed TFRecord dataset is streamed file by file; under mpirun ranks share "
          "samples, which needs random access (an uncompressed dataset)",
          dataset_dir_.string()));
    }
    return files_;
  }
  index_.emplace(formats::DatasetIndex::open(dataset_dir_));
  const auto& index = *index_;
  if (index.size() == 0) {
    throw InputError(fmt::format("{}: the dataset holds no samples", dataset_dir_.string()));
  }
  if (params_.verify && !index.spec()) {
    throw InputError(
        fmt::format("{}: verify needs an aistor dataset (its samples carry their id and checksum)",
                    dataset_dir_.string()));
  }
  const bool raw = index.spec() && index.spec()->format == formats::DatasetFormat::raw;
  std::vector<std::uint64_t> file_starts = index_files(raw);
  // Residency maps every file: cheap for a few record files, not for a file per sample.
  epoch_residency_ = params_.epoch_residency.value_or(!raw);
  if (max_length_ > (std::uint64_t{1} << 31)) {
    throw InputError(fmt::format("{}: a {}-byte sample is larger than aistor reads in one request",
                                 dataset_dir_.string(), max_length_));
  }
  dataset_info_["dir"] = dataset_dir_.string();
  dataset_info_["format"] = index.spec() ? formats::to_string(index.spec()->format) : "user";
  dataset_info_["samples"] = index.size();
  dataset_info_["files"] = raw ? index.size() : files_.size();
  dataset_info_["payload_bytes"] = payload_bytes_;
  dataset_info_["max_sample_bytes"] = max_length_;

  order_.emplace(params_.shuffle, index.size(), std::move(file_starts), params_.seed,
                 params_.epochs);
  if (env.ranks > 1) {
    if (index.size() < env.ranks) {
      throw InputError(fmt::format("{}: {} samples cannot be shared by {} ranks",
                                   dataset_dir_.string(), index.size(), env.ranks));
    }
    order_->share(env.rank, env.ranks);
    dataset_info_["rank_samples"] = order_->share_samples();
  }
  make_pipeline(order_->share_samples());
  return files_;
}

}  // namespace aistor
