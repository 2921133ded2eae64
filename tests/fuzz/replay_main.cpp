// Stand-in driver for builds without libFuzzer (g++): runs every file of the given corpus
// directories (or single files, e.g. a crash artifact) through LLVMFuzzerTestOneInput, then a
// fixed number of deterministic mutations of them, and fails if any single input is slow.
//   fuzz_request [-runs=N] [-seed=S] [-max_input_ms=MS] <dir-or-file>...

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

namespace {

using Bytes = std::vector<std::uint8_t>;

struct Rng { // xorshift64*: deterministic across platforms
    std::uint64_t s;
    std::uint64_t next()
    {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 2685821657736338717ULL;
    }
    std::size_t below(std::size_t n) { return n ? std::size_t(next() % n) : 0; }
};

const char *const kTokens[] = {"{",
                               "}",
                               "[",
                               "]",
                               "\"",
                               "\\",
                               ":",
                               ",",
                               "null",
                               "true",
                               "false",
                               "1e999",
                               "-0",
                               "\\u0000",
                               "\\ud800",
                               "%00",
                               "%",
                               "&",
                               "=",
                               "+",
                               ".",
                               "\"title\":",
                               "\"username\":",
                               "\"specializations\":[",
                               "\"latitude\":",
                               "\"selfAudit\":{",
                               "\"evidenceLinks\":[",
                               "cursor=",
                               "limit=",
                               "domain=",
                               "\xff",
                               "\xc3\xa9",
                               "[[[[[[[[[[[[[[[[",
                               "{\"a\":"};

Bytes mutate(const Bytes &in, const std::vector<Bytes> &pool, Rng &rng)
{
    Bytes out = in;
    const int edits = 1 + int(rng.below(8));
    for (int e = 0; e < edits; ++e) {
        switch (rng.below(6)) {
        case 0: // flip a bit
            if (!out.empty())
                out[rng.below(out.size())] ^= std::uint8_t(1u << rng.below(8));
            break;
        case 1: // random byte
            if (!out.empty())
                out[rng.below(out.size())] = std::uint8_t(rng.next());
            break;
        case 2: { // delete a range
            if (out.empty())
                break;
            const std::size_t at = rng.below(out.size());
            const std::size_t n = std::min(out.size() - at, 1 + rng.below(16));
            out.erase(out.begin() + long(at), out.begin() + long(at + n));
            break;
        }
        case 3: { // insert a token
            const char *t = kTokens[rng.below(std::size(kTokens))];
            out.insert(out.begin() + long(rng.below(out.size() + 1)), t, t + std::strlen(t));
            break;
        }
        case 4: { // splice in a piece of another input
            const Bytes &other = pool[rng.below(pool.size())];
            if (other.empty())
                break;
            const std::size_t from = rng.below(other.size());
            const std::size_t n = std::min(other.size() - from, 1 + rng.below(64));
            out.insert(out.begin() + long(rng.below(out.size() + 1)), other.begin() + long(from), other.begin() + long(from + n));
            break;
        }
        default: { // duplicate a range (deep nesting, long strings)
            if (out.empty() || out.size() > 64 * 1024)
                break;
            const std::size_t at = rng.below(out.size());
            const std::size_t n = std::min(out.size() - at, 1 + rng.below(32));
            const Bytes piece(out.begin() + long(at), out.begin() + long(at + n));
            for (std::size_t k = 1 + rng.below(40); k > 0; --k)
                out.insert(out.begin() + long(at), piece.begin(), piece.end());
            break;
        }
        }
    }
    return out;
}

// On a crash, the input that caused it is written to ./crash-replay (replay it: fuzz_request crash-replay).
const Bytes *g_current = nullptr;

extern "C" void saveCrashInput(int sig)
{
    if (g_current) {
        const int fd = ::open("crash-replay", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            (void)!::write(fd, g_current->data(), g_current->size());
            ::close(fd);
        }
        const char msg[] = "replay: crashed; input saved to ./crash-replay\n";
        (void)!::write(2, msg, sizeof msg - 1);
    }
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

Bytes readFile(const std::filesystem::path &p)
{
    std::ifstream f(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

} // namespace

int main(int argc, char **argv)
{
    long runs = 5000;
    std::uint64_t seed = 0x5eed0fbe77e1ULL;
    double maxInputMs = 2000;
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("-runs=", 0) == 0)
            runs = std::stol(a.substr(6));
        else if (a.rfind("-seed=", 0) == 0)
            seed = std::stoull(a.substr(6));
        else if (a.rfind("-max_input_ms=", 0) == 0)
            maxInputMs = std::stod(a.substr(14));
        else if (a.rfind('-', 0) == 0)
            continue; // libFuzzer flags (e.g. -max_total_time) are accepted and ignored
        else if (std::filesystem::is_directory(a)) {
            for (const auto &entry : std::filesystem::directory_iterator(a))
                if (entry.is_regular_file())
                    files.push_back(entry.path());
        } else if (std::filesystem::is_regular_file(a)) {
            files.push_back(a);
        } else {
            std::fprintf(stderr, "replay: no such file or directory: %s\n", a.c_str());
            return 2;
        }
    }
    std::sort(files.begin(), files.end()); // deterministic order
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL})
        std::signal(sig, saveCrashInput);
    std::vector<Bytes> pool{Bytes{}};
    for (const auto &f : files)
        pool.push_back(readFile(f));

    double slowestMs = 0;
    std::string slowest;
    const auto runOne = [&](const Bytes &input, const std::string &name) {
        g_current = &input;
        const auto t0 = std::chrono::steady_clock::now();
        LLVMFuzzerTestOneInput(input.data(), input.size());
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (ms > slowestMs) {
            slowestMs = ms;
            slowest = name;
        }
    };
    for (std::size_t i = 0; i < pool.size(); ++i)
        runOne(pool[i], i == 0 ? std::string("<empty>") : files[i - 1].string());

    Rng rng{seed ? seed : 1};
    std::size_t bytes = 0;
    for (long r = 0; r < runs; ++r) {
        const Bytes input = mutate(pool[rng.below(pool.size())], pool, rng);
        bytes += input.size();
        runOne(input, "mutation #" + std::to_string(r) + " (seed " + std::to_string(seed) + ")");
    }
    std::printf("replay: %zu corpus inputs + %ld mutations (%zu bytes) ok; slowest %.2f ms: %s\n", pool.size(), runs, bytes,
                slowestMs, slowest.c_str());
    if (slowestMs > maxInputMs) {
        std::fprintf(stderr, "replay: an input took %.0f ms (limit %.0f ms)\n", slowestMs, maxInputMs);
        return 1;
    }
    return 0;
}
