// The fast inflate (src/warc/inflate.ts loads it; node's zlib is the fallback): gzip members read whole with
// libdeflate (Debian's libdeflate-dev, linked statically), which on Common Crawl's records inflates about 2.4x
// as fast as zlib (docs/inflate.md: how it was chosen). One call inflates every member of a buffer that must hold
// whole members and nothing else, each checked against its trailer (CRC-32 and length) by libdeflate; anything
// else is a failure the caller handles by reading the members one by one with node's zlib. No exceptions: the
// result is the inflated bytes, or a number that says why not.
#include <napi.h>
#include <libdeflate.h>

#include <cstdlib>
#include <cstring>

namespace {

// Results other than the inflated bytes.
constexpr int kBadData = 1;   // not whole, well-formed gzip members (damage, garbage, a member cut short)
constexpr int kTooLarge = 2;  // the members inflate to more than maxOutput bytes

// A scratch output buffer per thread (worker threads each load the addon), kept between calls up to kKeepBytes.
constexpr size_t kKeepBytes = 8u << 20;

struct Scratch {
  libdeflate_decompressor* decompressor = nullptr;
  unsigned char* data = nullptr;
  size_t capacity = 0;
  ~Scratch() {
    if (decompressor != nullptr) libdeflate_free_decompressor(decompressor);
    std::free(data);
  }
  bool Reserve(size_t bytes) {
    if (bytes <= capacity) return true;
    void* grown = std::realloc(data, bytes);
    if (grown == nullptr) return false;
    data = static_cast<unsigned char*>(grown);
    capacity = bytes;
    return true;
  }
  void Trim() {
    if (capacity <= kKeepBytes) return;
    std::free(data);
    data = nullptr;
    capacity = 0;
  }
};

thread_local Scratch scratch;

// This thread's decompressor, made at its first call; false (with a JavaScript error pending) when out of memory.
bool HaveDecompressor(Napi::Env env) {
  if (scratch.decompressor == nullptr) scratch.decompressor = libdeflate_alloc_decompressor();
  if (scratch.decompressor != nullptr) return true;
  Napi::Error::New(env, "out of memory").ThrowAsJavaScriptException();
  return false;
}

// gunzip(input: Uint8Array, maxOutput: number, firstCapacity: number): Buffer | number
Napi::Value Gunzip(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "gunzip(input: Uint8Array, maxOutput: number, firstCapacity: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array input = info[0].As<Napi::Uint8Array>();
  const double maxDouble = info[1].As<Napi::Number>().DoubleValue();
  const double firstDouble = info[2].As<Napi::Number>().DoubleValue();
  if (!(maxDouble >= 1) || !(firstDouble >= 1)) {
    Napi::RangeError::New(env, "maxOutput and firstCapacity must be at least 1").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t maxOutput = static_cast<size_t>(maxDouble);
  size_t capacity = static_cast<size_t>(firstDouble);
  if (capacity > maxOutput) capacity = maxOutput;

  if (!HaveDecompressor(env)) return env.Undefined();
  if (!scratch.Reserve(capacity)) {
    Napi::Error::New(env, "out of memory").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const unsigned char* in = input.Data();
  const size_t inBytes = input.ByteLength();
  size_t pos = 0;
  size_t outBytes = 0;
  int failure = inBytes == 0 ? kBadData : 0;
  while (failure == 0 && pos < inBytes) {
    size_t used = 0;
    size_t made = 0;
    const libdeflate_result r = libdeflate_gzip_decompress_ex(scratch.decompressor, in + pos, inBytes - pos,
                                                              scratch.data + outBytes, capacity - outBytes, &used, &made);
    if (r == LIBDEFLATE_SUCCESS) {
      pos += used;
      outBytes += made;
    } else if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
      // The member did not fit: more room (doubling, up to maxOutput) and the same member again.
      if (capacity >= maxOutput) {
        failure = kTooLarge;
      } else {
        capacity = capacity > maxOutput / 2 ? maxOutput : capacity * 2;
        if (!scratch.Reserve(capacity)) failure = kTooLarge;
      }
    } else {
      failure = kBadData;
    }
  }
  Napi::Value result = failure != 0 ? Napi::Number::New(env, failure)
                                    : Napi::Value(Napi::Buffer<unsigned char>::Copy(env, scratch.data, outBytes));
  scratch.Trim();
  return result;
}

// gunzipInto(input: Uint8Array, out: Uint8Array, limit: number): number. Inflates into the caller's buffer (no
// allocation, so no external memory for V8 to account: the reader reuses a few output buffers per input). Returns
// the bytes written, -kBadData, or -kTooLarge when the members inflate to more than `limit` (at most out's length).
Napi::Value GunzipInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "gunzipInto(input: Uint8Array, out: Uint8Array, limit: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array input = info[0].As<Napi::Uint8Array>();
  Napi::Uint8Array out = info[1].As<Napi::Uint8Array>();
  const double limitDouble = info[2].As<Napi::Number>().DoubleValue();
  if (!(limitDouble >= 0)) {
    Napi::RangeError::New(env, "limit must be at least 0").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t capacity = out.ByteLength();
  if (static_cast<double>(capacity) > limitDouble) capacity = static_cast<size_t>(limitDouble);
  if (!HaveDecompressor(env)) return env.Undefined();
  const unsigned char* in = input.Data();
  const size_t inBytes = input.ByteLength();
  unsigned char* dst = out.Data();
  if (inBytes == 0) return Napi::Number::New(env, -kBadData);
  size_t pos = 0;
  size_t outBytes = 0;
  while (pos < inBytes) {
    size_t used = 0;
    size_t made = 0;
    const libdeflate_result r = libdeflate_gzip_decompress_ex(scratch.decompressor, in + pos, inBytes - pos,
                                                              dst + outBytes, capacity - outBytes, &used, &made);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) return Napi::Number::New(env, -kTooLarge);
    if (r != LIBDEFLATE_SUCCESS) return Napi::Number::New(env, -kBadData);
    pos += used;
    outBytes += made;
  }
  return Napi::Number::New(env, static_cast<double>(outBytes));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gunzip", Napi::Function::New(env, Gunzip, "gunzip"));
  exports.Set("gunzipInto", Napi::Function::New(env, GunzipInto, "gunzipInto"));
  exports.Set("engine", Napi::String::New(env, "libdeflate " LIBDEFLATE_VERSION_STRING));
  exports.Set("BAD_DATA", Napi::Number::New(env, kBadData));
  exports.Set("TOO_LARGE", Napi::Number::New(env, kTooLarge));
  return exports;
}

}  // namespace

NODE_API_MODULE(wikireverse_inflate, Init)
