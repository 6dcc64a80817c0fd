// Model files: what aistor writes parses back exactly, real shapes come out at their real sizes,
// and every malformed header is one InputError naming the file and the offset.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "core/error.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/gguf_metadata.hpp"
#include "workloads/formats/model_file.hpp"
#include "workloads/formats/model_preset.hpp"

namespace aistor::formats {
namespace {

std::string error_of(const std::filesystem::path& p) {
  try {
    (void)read_model_file(p);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// An 8-byte length, the header text as given, then `data` zero bytes.
std::filesystem::path raw_safetensors(const std::filesystem::path& p, const std::string& header,
                                      std::uint64_t data, std::uint64_t length = UINT64_MAX) {
  std::ofstream out(p, std::ios::binary);
  const std::uint64_t n = length == UINT64_MAX ? header.size() : length;
  for (int i = 0; i < 8; ++i)
    out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header << std::string(data, '\0');
  return p;
}

std::uint64_t file_bytes(const std::vector<TensorSpec>& ts) {
  std::uint64_t n = 0;
  for (const auto& t : ts) {
    std::uint64_t e = 1;
    for (auto d : t.shape)
      e *= d;
    n += tensor_bytes(t.dtype, e);
  }
  return n;
}

const std::vector<TensorSpec> kSmall{{"a", "BF16", {4, 8}}, {"b", "F32", {3}}, {"c", "I8", {5, 1}}};

}  // namespace

TEST(ModelFile, SafetensorsParsesBackExactly) {
  test::ScratchDir dir;
  auto m = write_model_file(dir.path() / "m.safetensors", ModelFormat::safetensors, kSmall, 3);
  ASSERT_EQ(m.tensors.size(), 3u);
  EXPECT_EQ(m.data_offset % 8, 0u);
  std::uint64_t at = m.data_offset;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(m.tensors[i].name, kSmall[i].name);
    EXPECT_EQ(m.tensors[i].dtype, kSmall[i].dtype);
    EXPECT_EQ(m.tensors[i].shape, kSmall[i].shape);
    EXPECT_EQ(m.tensors[i].offset, at);
    at += m.tensors[i].bytes;
  }
  EXPECT_EQ(m.tensors[0].bytes, 64u);
  EXPECT_EQ(m.tensors[1].bytes, 12u);
  EXPECT_EQ(m.tensors[2].bytes, 5u);
  EXPECT_EQ(m.file_bytes, at);
  EXPECT_EQ(m.data_bytes, 81u);
  // Nothing left beside it (the temporary was renamed into place).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

// Runs sharing a directory (several aistor processes, mpirun without MPI in the build) may
// generate one model at the same moment: each must finish with the complete file in place.
TEST(ModelFile, TwoProcessesWritingOneModelBothSucceed) {
  test::ScratchDir dir;
  const auto path = dir.path() / "m.safetensors";
  const std::vector<TensorSpec> big{{"w", "BF16", {4096, 1024}}};  // 8 MiB: the writes overlap
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int rc = 0;
    try {
      (void)write_model_file(path, ModelFormat::safetensors, big, 5);
    } catch (...) {
      rc = 1;
    }
    ::_exit(rc);
  }
  std::string error;
  try {
    (void)write_model_file(path, ModelFormat::safetensors, big, 5);
  } catch (const std::exception& e) {
    error = e.what();
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(error, "");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const auto m = read_model_file(path);
  EXPECT_EQ(m.data_bytes, 8u << 20);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(ModelFile, GgufParsesBackWithAlignedOffsets) {
  test::ScratchDir dir;
  const std::vector<TensorSpec> ts{
      {"tok", "Q4_K", {256, 3}}, {"n", "F32", {7}}, {"o", "Q8_0", {64, 2}}};
  auto m =
      write_model_file(dir.path() / "m.gguf", ModelFormat::gguf, ts, 3, {{"general.name", "t"}});
  EXPECT_EQ(m.version, 3u);
  EXPECT_EQ(m.metadata["general.architecture"], "llama");
  EXPECT_EQ(m.metadata["general.name"], "t");
  EXPECT_EQ(m.metadata["general.alignment"], 32);
  ASSERT_EQ(m.tensors.size(), 3u);
  EXPECT_EQ(m.data_offset % 32, 0u);
  EXPECT_EQ(m.tensors[0].bytes, 3u * 144);
  EXPECT_EQ(m.tensors[1].bytes, 28u);
  EXPECT_EQ(m.tensors[2].bytes, 4u * 34);
  EXPECT_EQ(m.tensors[0].offset, m.data_offset);
  EXPECT_EQ(m.tensors[1].offset, m.data_offset + 448);  // 432 rounded up to 32
  EXPECT_EQ(m.tensors[2].offset, m.data_offset + 480);
  EXPECT_EQ(m.file_bytes, m.data_offset + 480 + 136);
}

TEST(ModelFile, PresetsHaveTheirModelsSizes) {
  // deepseek-r1:7b (Qwen2-7B) in Q4_K: about 4.7 GB as ollama ships it (Q4_K_M mixes in Q6_K).
  const auto q7 = file_bytes(model_tensors(model_preset("7b"), ModelFormat::gguf, "Q4_K"));
  EXPECT_GT(q7, 4'200'000'000u);
  EXPECT_LT(q7, 4'800'000'000u);
  const auto q32 = file_bytes(model_tensors(model_preset("32b"), ModelFormat::gguf, "Q4_K"));
  EXPECT_GT(q32, 18'000'000'000u);
  EXPECT_LT(q32, 20'500'000'000u);
  // LLaMA-2-7B in BF16: 6,738,415,616 parameters less the rotary buffers = 13.48 GB.
  EXPECT_EQ(file_bytes(model_tensors(model_preset("llama2-7b"), ModelFormat::safetensors, "BF16")),
            2u * 6'738'415'616u);
  const auto one =
      model_tensors(scaled(model_preset("7b"), 0.01), ModelFormat::safetensors, "BF16");
  EXPECT_EQ(one.size(), 1u + 9u + 2u);  // embeddings, one layer, final norm, output
  EXPECT_EQ(one[1].name, "model.layers.0.input_layernorm.weight");
}

TEST(ModelFile, SizedModelsComeCloseToTheSizeAskedFor) {
  // From a few MB (narrower than LLaMA-2-7B, same form) to many layers of its full width: never
  // more than asked, and within one layer (or a halving of the width) of it.
  for (const std::uint64_t mib : {6u, 40u, 300u, 3000u}) {
    const std::uint64_t want = mib << 20;
    const auto shape = model_shape_of_size(want, "BF16");
    const auto got = file_bytes(model_tensors(shape, ModelFormat::safetensors, "BF16"));
    EXPECT_LE(got, want) << mib << " MiB";
    EXPECT_GT(got, want / 4) << mib << " MiB";
    EXPECT_EQ(shape.hidden % 256, 0u);
    EXPECT_EQ(shape.ffn % 256, 0u);
  }
  EXPECT_EQ(model_shape_of_size(3000u << 20, "BF16").hidden, 4096u);  // full width above a layer
  // Block dtypes need rows of whole 256-element blocks: a small Q4_K model still writes.
  const auto q = model_tensors(model_shape_of_size(8u << 20, "Q4_K"), ModelFormat::gguf, "Q4_K");
  EXPECT_GT(file_bytes(q), 1u << 20);
}

TEST(ModelFile, AParameterCountGivesAModelOfAboutThatMany) {
  auto parameters = [](const std::vector<TensorSpec>& ts) {
    std::uint64_t n = 0;
    for (const auto& t : ts) {
      std::uint64_t e = 1;
      for (auto d : t.shape)
        e *= d;
      n += e;
    }
    return n;
  };
  for (const std::uint64_t want : {20'000'000ULL, 1'500'000'000ULL}) {
    const auto got = parameters(
        model_tensors(model_shape_of_parameters(want, "BF16"), ModelFormat::safetensors, "BF16"));
    EXPECT_LE(got, want);
    EXPECT_GT(got, want / 4);
    // The same count in Q4_K: the same shape, whatever the bytes per element.
    EXPECT_EQ(model_shape_of_parameters(want, "Q4_K").layers,
              model_shape_of_parameters(want, "BF16").layers);
  }
}

TEST(ModelFile, SafetensorsBadHeadersNameFileAndOffset) {
  test::ScratchDir dir;
  const auto p = dir.path() / "x.safetensors";
  const std::string f = p.string();
  std::ofstream(p, std::ios::binary) << "abcde";
  EXPECT_EQ(error_of(p), f + ": truncated at offset 5: no 8-byte header length");
  raw_safetensors(p, "{}", 0, 1000);
  EXPECT_EQ(error_of(p),
            f + ": offset 0: header length 1000 runs past the end of the file (10 bytes)");
  raw_safetensors(p, "{\"a\": [1,", 0);
  EXPECT_EQ(error_of(p).rfind(f + ": offset 17: header is not UTF-8 JSON", 0), 0u) << error_of(p);
  raw_safetensors(p, "{\"a\xff\": 1}", 0);
  // The 0xff is the header's fourth byte; the message itself stays printable ASCII.
  EXPECT_EQ(error_of(p).rfind(f + ": offset 11: header is not UTF-8 JSON", 0), 0u) << error_of(p);
  for (char ch : error_of(p))
    EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << static_cast<int>(ch);
  raw_safetensors(p,
                  R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                  12);
  EXPECT_EQ(error_of(p).find("tensor \"b\" at offset"), f.size() + 2) << error_of(p);
  EXPECT_NE(error_of(p).find("overlaps \"a\""), std::string::npos);
  raw_safetensors(p, R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8);
  EXPECT_NE(error_of(p).find("tensor \"a\" (16 bytes at offset"), std::string::npos) << error_of(p);
  EXPECT_NE(error_of(p).find("runs past the end of the file"), std::string::npos);
  raw_safetensors(p, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12);
  EXPECT_NE(error_of(p).find("belong to no tensor (before \"a\")"), std::string::npos)
      << error_of(p);
  raw_safetensors(p, R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8);
  EXPECT_EQ(error_of(p),
            f + ": offset 9: tensor \"a\": data_offsets [0, 8] hold 8 bytes, but [3] F32 needs 12");
  raw_safetensors(p, R"({"a":{"dtype":"F13","shape":[1],"data_offsets":[0,2]}})", 2);
  EXPECT_EQ(error_of(p), f + ": offset 9: tensor \"a\": unknown dtype \"F13\"");
}

// What the safetensors library writes for a tensor with no elements: data_offsets [b, b], at the
// offset of the next tensor. (The library itself is not installable here, from Debian or npm;
// its header's shape, keys sorted, tensors laid out in that order, is reproduced byte for byte.)
TEST(ModelFile, EmptyTensorsAreValidWhereverTheyLie) {
  test::ScratchDir dir;
  const auto p = dir.path() / "e.safetensors";
  for (const std::string& header : {
           // empty between two tensors, listed after the one it shares an offset with
           std::string(R"({"a":{"dtype":"F32","shape":[10],"data_offsets":[0,40]},)"
                       R"("b":{"dtype":"F32","shape":[10],"data_offsets":[40,80]},)"
                       R"("c":{"dtype":"F32","shape":[0],"data_offsets":[40,40]}})"),
           // empty first, at the start
           std::string(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                       R"("b":{"dtype":"F32","shape":[20],"data_offsets":[0,80]}})"),
           // empty last, at the end; and a zero-size dimension among others
           std::string(R"({"a":{"dtype":"F32","shape":[20],"data_offsets":[0,80]},)"
                       R"("z":{"dtype":"BF16","shape":[4,0,2],"data_offsets":[80,80]}})"),
       }) {
    raw_safetensors(p, header, 80);
    EXPECT_EQ(error_of(p), "(no error)") << header;
    const auto m = read_model_file(p);
    EXPECT_EQ(m.data_bytes, 80u);
  }
  // Only tensors: no data at all.
  raw_safetensors(p, R"({"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})", 0);
  EXPECT_EQ(error_of(p), "(no error)");
  // An empty tensor does not hide a real overlap.
  raw_safetensors(p,
                  R"({"a":{"dtype":"F32","shape":[10],"data_offsets":[0,40]},)"
                  R"("b":{"dtype":"F32","shape":[10],"data_offsets":[20,60]},)"
                  R"("c":{"dtype":"F32","shape":[0],"data_offsets":[40,40]}})",
                  60);
  EXPECT_NE(error_of(p).find("overlaps"), std::string::npos) << error_of(p);
}

// As ollama's files do: the architecture's hyperparameters and the tokenizer at the preset's real
// vocabulary size, which make the header megabytes long.
TEST(ModelFile, GeneratedGgufCarriesHyperparametersAndTheTokenizer) {
  test::ScratchDir dir;
  // Qwen2's vocabulary and tokenizer with narrow layers: the header is the real size, the tensor
  // data small (a whole 7B layer is 850 MB, too slow to write under the sanitizers).
  ModelShape shape = model_preset("7b");
  shape.layers = 1;
  shape.hidden = 256;
  shape.ffn = 512;
  shape.kv_dim = 128;
  const auto p = dir.path() / "q.gguf";
  const auto m =
      write_model_file(p, ModelFormat::gguf, model_tensors(shape, ModelFormat::gguf, "Q4_K"), 1,
                       gguf_metadata(shape, "Q4_K"));
  const auto& md = m.metadata;
  EXPECT_EQ(md["general.architecture"], "qwen2");
  EXPECT_EQ(md["general.file_type"], 15);
  EXPECT_EQ(md["qwen2.block_count"], 1);
  EXPECT_EQ(md["qwen2.embedding_length"], 256);
  EXPECT_EQ(md["qwen2.feed_forward_length"], 512);
  EXPECT_EQ(md["qwen2.attention.head_count"], 2);
  EXPECT_EQ(md["qwen2.attention.head_count_kv"], 1);
  EXPECT_EQ(md["qwen2.context_length"], 32768);
  EXPECT_FLOAT_EQ(md["qwen2.rope.freq_base"].get<float>(), 1e6f);
  EXPECT_EQ(md["tokenizer.ggml.model"], "gpt2");
  EXPECT_EQ(md["tokenizer.ggml.tokens"]["count"], 152064);
  EXPECT_EQ(md["tokenizer.ggml.token_type"]["count"], 152064);
  EXPECT_EQ(md["tokenizer.ggml.merges"]["count"], 152064 - 256 - 22);
  EXPECT_EQ(md["tokenizer.ggml.eos_token_id"], 152064 - 22);
  // ollama's qwen2 headers are about 5 MB; so is this one.
  EXPECT_GT(m.data_offset, 4'000'000u);
  EXPECT_LT(m.data_offset, 8'000'000u);
  auto llama = model_preset("llama2-7b");
  llama.layers = 1;
  llama.hidden = 256;
  llama.ffn = 512;
  llama.kv_dim = 256;
  const auto l = write_model_file(dir.path() / "l.gguf", ModelFormat::gguf,
                                  model_tensors(llama, ModelFormat::gguf, "Q8_0"), 1,
                                  gguf_metadata(llama, "Q8_0"));
  EXPECT_EQ(l.metadata["llama.attention.head_count"], 2);
  EXPECT_EQ(l.metadata["tokenizer.ggml.model"], "llama");
  EXPECT_EQ(l.metadata["tokenizer.ggml.scores"]["count"], 32000);
}

TEST(ModelFile, GgufBadHeadersNameFileAndOffset) {
  test::ScratchDir dir;
  const std::vector<TensorSpec> ts{{"t", "F32", {8}}, {"u", "F16", {4}}};
  const auto good = dir.path() / "g.gguf";
  auto m = write_model_file(good, ModelFormat::gguf, ts, 1);
  std::string bytes(m.file_bytes, '\0');
  std::ifstream(good, std::ios::binary)
      .read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  const auto p = dir.path() / "b.gguf";
  const std::string f = p.string();
  auto write = [&](const std::string& b) { std::ofstream(p, std::ios::binary) << b; };

  write(std::string("GGUF\x07\0\0\0", 8) + bytes.substr(8));
  EXPECT_EQ(error_of(p), f + ": offset 4: GGUF version 7 (aistor reads 2 and 3)");
  write(bytes.substr(0, 60));
  EXPECT_EQ(error_of(p).rfind(f + ": truncated at offset ", 0), 0u) << error_of(p);
  // The last tensor's bytes cut off: its data runs past the end.
  write(bytes.substr(0, bytes.size() - 4));
  EXPECT_NE(error_of(p).find("tensor \"u\" (8 bytes at offset"), std::string::npos) << error_of(p);
  // The second tensor's offset (the header's last 8 bytes before padding) made unaligned.
  const std::size_t u_info = bytes.find(std::string("\x01\0\0\0\0\0\0\0u", 9));
  ASSERT_NE(u_info, std::string::npos);
  // name "u" (u64 length + 1 byte), n_dims u32, one dim u64, type u32, then the offset u64.
  const std::size_t at = u_info + 9 + 4 + 8 + 4;
  std::string b = bytes;
  b[at] = 33;
  write(b);
  EXPECT_NE(error_of(p).find("tensor \"u\" data offset 33 is not a multiple of the alignment 32"),
            std::string::npos)
      << error_of(p);
  b = bytes;
  b[at] = 0;  // "u" at 0 overlaps "t"
  write(b);
  EXPECT_NE(error_of(p).find("overlaps \"t\""), std::string::npos) << error_of(p);
  b = bytes;
  b[at - 4] = 99;  // type
  write(b);
  EXPECT_NE(error_of(p).find("has ggml type 99, which aistor does not know"), std::string::npos)
      << error_of(p);
}

}  // namespace aistor::formats
