// Runs every kernel of kernels/*.cu on the CPU through cuda_host_shim.h and compares it
// with plain references written here, over lengths around the float4 boundaries, every
// alignment combination of up to three pointers (offsets 0-3 floats from a 64-byte
// boundary), grids small enough that grid-stride loops go round several times, and
// several block sizes. Built with AddressSanitizer, so a read or write past a view's end
// fails the run, and UBSan. The shim itself reports a float4 access off a 16-byte
// boundary, and a barrier or shuffle not every thread reaches, as a failed launch; the
// last section checks that it does. The Philox generator is checked against Random123's
// known answers, and the drop step against a reference built on it.
// Build and run: native-build/emulate/build.sh run (needs g++ >= 12, no GPU);
// HostKernelSanitizerTest does this in the test suite.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cuda_host_shim.h"

#include "kernels.inc"

static int failures = 0;
static int checks = 0;

static void expect(bool ok, const std::string& what) {
    ++checks;
    if (!ok && failures++ < 20) std::fprintf(stderr, "FAIL %s\n", what.c_str());
}

static std::uint32_t bits(float f) { std::uint32_t u; std::memcpy(&u, &f, 4); return u; }
static bool same_bits(float a, float b) { return bits(a) == bits(b); }

struct Rng {
    std::uint64_t s;
    explicit Rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
    std::uint32_t next() { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (std::uint32_t)(s >> 11); }
    float uniform(float lo, float hi) { return lo + (hi - lo) * (float)(next() % 1000003) / 1000003.0f; }
};

// A view of n floats starting `offset` floats after a 64-byte-aligned allocation that ends
// exactly at the view's end (so ASan sees any overrun); the offset floats in front hold a
// sentinel that must survive.
struct View {
    float* base = nullptr;
    float* p = nullptr;
    std::size_t n, offset;
    static constexpr float kSentinel = 12345.0f;
    View(std::size_t n_, std::size_t offset_) : n(n_), offset(offset_) {
        void* mem = nullptr;
        if (posix_memalign(&mem, 64, (offset + n) * sizeof(float) + (offset + n == 0 ? 4 : 0)) != 0) std::abort();
        base = static_cast<float*>(mem);
        for (std::size_t i = 0; i < offset; ++i) base[i] = kSentinel;
        p = base + offset;
    }
    ~View() { std::free(base); }
    View(const View&) = delete;
    View& operator=(const View&) = delete;
    bool front_intact() const {
        for (std::size_t i = 0; i < offset; ++i) if (base[i] != kSentinel) return false;
        return true;
    }
    float& operator[](std::size_t i) { return p[i]; }
};

// Runs one launch; a launch the shim refuses (misaligned float4, a barrier not every
// thread reaches) is a failure of the kernel under test.
template <typename Body>
static void launch(unsigned grid, unsigned block, Body body) {
    const int rc = shim::launch(grid, block, body);
    expect(rc == 0, "launch " + std::to_string(grid) + "x" + std::to_string(block) + " failed (" + std::to_string(rc) +
                        "): " + shim::state().message);
}

struct Launch { unsigned grid, block; };
static const Launch kLaunches[] = {{1, 32}, {3, 64}, {2, 96}, {5, 256}};
static const std::size_t kLengths[] = {0, 1, 3, 4, 5, 8, 13, 1027};
struct Offsets { std::size_t a, b, c; };
// Every combination of three pointers' offsets modulo 4 floats (16 bytes): all agree, two
// agree and the third does not (in each position), all differ.
static const std::vector<Offsets> kOffsets = [] {
    std::vector<Offsets> all;
    for (std::size_t a = 0; a < 4; ++a)
        for (std::size_t b = 0; b < 4; ++b)
            for (std::size_t c = 0; c < 4; ++c) all.push_back({a, b, c});
    return all;
}();

static std::string label(const char* kernel, std::size_t n, Offsets o, Launch l) {
    return std::string(kernel) + " n=" + std::to_string(n) + " offsets=" + std::to_string(o.a) + "," +
           std::to_string(o.b) + "," + std::to_string(o.c) + " launch=" + std::to_string(l.grid) + "x" +
           std::to_string(l.block);
}

// Values with exact zeros of both signs among them, so thresholds and counters meet them.
static void fill_random(View& v, Rng& rng, float scale) {
    for (std::size_t i = 0; i < v.n; ++i) {
        const std::uint32_t r = rng.next() % 10;
        v[i] = r == 0 ? 0.0f : r == 1 ? -0.0f : rng.uniform(-scale, scale);
    }
}

// ---------------------------------------------------------------------------- optimizers

static void check_grda() {
    Rng rng(1);
    for (std::size_t n : kLengths)
        for (Offsets o : kOffsets)
            for (float tau : {0.0f, 0.03f})
                for (Launch l : kLaunches) {
                    View w(n, o.a), g(n, o.b), acc(n, o.c);
                    fill_random(g, rng, 1.0f);
                    fill_random(acc, rng, 0.1f);
                    if (n > 2) acc[2] = std::nanf("");  // a diverged accumulator must stay visible in w
                    for (std::size_t i = 0; i < n; ++i) w[i] = std::nanf("");  // never read
                    std::vector<float> acc0(acc.p, acc.p + n);
                    const float lr = 0.07f;
                    const bool counting = (n + o.a) % 2 == 0;
                    unsigned zeros = 0;
                    launch(l.grid, l.block, [&] { grda_step(w.p, g.p, acc.p, n, lr, tau, counting ? &zeros : nullptr); });
                    const std::string what = label("grda_step", n, o, l) + " tau=" + std::to_string(tau);
                    unsigned expected_zeros = 0;
                    bool ok = true;
                    for (std::size_t i = 0; i < n; ++i) {
                        const float a = acc0[i] - lr * g[i];                        // Java: acc - lr*g
                        const float shrunk = std::fmax(std::fabs(a) - tau, 0.0f);  // S_tau(a) = sign(a)*max(|a|-tau,0)
                        const float expect_w = std::isnan(a) ? a : a > 0 ? shrunk : a < 0 ? -shrunk : 0.0f;
                        ok &= same_bits(acc[i], a);
                        // zeros are written as +0.0 (the Java twin's literal 0), whatever the sign of a
                        ok &= same_bits(w[i], expect_w == 0.0f ? 0.0f : expect_w);
                        if (tau == 0.0f && a != 0.0f) ok &= same_bits(w[i], a);   // c = 0 reproduces SGD (NaN too)
                        expected_zeros += expect_w == 0.0f;
                    }
                    expect(ok, what + ": w/acc");
                    if (counting) expect(zeros == expected_zeros, what + ": zero count " + std::to_string(zeros) + " vs " + std::to_string(expected_zeros));
                    expect(w.front_intact() && g.front_intact() && acc.front_intact(), what + ": wrote before the view");
                }
}

static void check_sgd() {
    Rng rng(2);
    const std::size_t lengths[] = {1, 5, 8, 1027};
    for (std::size_t n : lengths)
        for (Offsets o : kOffsets)
            for (float momentum : {0.0f, 0.9f})
                for (float dampening : {0.0f, 0.25f})
                    for (float wd : {0.0f, 5e-3f})
                        for (int nesterov : {0, 1})
                            for (int first : {0, 1}) {
                                if (momentum == 0.0f && (dampening != 0.0f || nesterov || first)) continue;
                                const Launch l = kLaunches[(n + o.a + first) % 4];
                                View w(n, o.a), g(n, o.b), m(momentum != 0.0f ? n : 0, o.c);
                                fill_random(w, rng, 1.0f);
                                fill_random(g, rng, 1.0f);
                                if (momentum != 0.0f) fill_random(m, rng, 0.5f);
                                std::vector<float> w0(w.p, w.p + n), m0(m.p, m.p + m.n);
                                const float lr = 0.05f;
                                launch(l.grid, l.block, [&] {
                                    sgd_step(w.p, g.p, momentum != 0.0f ? m.p : nullptr, n, lr, momentum, dampening, wd, nesterov, first);
                                });
                                bool ok = true;
                                for (std::size_t i = 0; i < n; ++i) {
                                    // torch.optim.SGD._single_tensor_sgd, one element, float32
                                    float d_p = g[i];
                                    if (wd != 0.0f) d_p = d_p + wd * w0[i];
                                    if (momentum != 0.0f) {
                                        float buf;
                                        if (first) buf = d_p;
                                        else buf = m0[i] * momentum + (1.0f - dampening) * d_p;
                                        d_p = nesterov ? d_p + momentum * buf : buf;
                                        ok &= same_bits(m[i], buf);
                                    }
                                    ok &= same_bits(w[i], w0[i] - lr * d_p);
                                }
                                expect(ok, label("sgd_step", n, o, l) + " momentum=" + std::to_string(momentum) +
                                               " dampening=" + std::to_string(dampening) + " wd=" + std::to_string(wd) +
                                               " nesterov=" + std::to_string(nesterov) + " first=" + std::to_string(first));
                                expect(w.front_intact() && g.front_intact() && m.front_intact(), "sgd_step wrote before a view");
                            }
}

// torch.optim.SGD._single_tensor_sgd on one element in float32 (dampening as given), the
// reference of the masked steps: returns the new w, updates buf when there is momentum.
static float torch_sgd(float w, float d_p, float& buf, float lr, float momentum, float dampening, float wd, int nesterov, int first) {
    if (wd != 0.0f) d_p = d_p + wd * w;
    if (momentum != 0.0f) {
        buf = first ? d_p : buf * momentum + (1.0f - dampening) * d_p;
        d_p = nesterov ? d_p + momentum * buf : buf;
    }
    return w - lr * d_p;
}

// GSM (gsm_train.py): the gradient survives where |g*w| >= threshold (ties kept, NaN never),
// then SGD with dampening 0. The threshold is a score of the data, copied to other entries
// so ties fall in the head, body and tail; a NaN gradient must leave its weight finite.
static void check_gsm() {
    Rng rng(8);
    const std::size_t lengths[] = {1, 5, 13, 1027};
    for (std::size_t n : lengths)
        for (Offsets o : kOffsets)
            for (float momentum : {0.0f, 0.9f})
                for (int nesterov : {0, 1})
                    for (int first : {0, 1}) {
                        if (momentum == 0.0f && (nesterov || first)) continue;
                        const Launch l = kLaunches[(n + o.b + first) % 4];
                        const float wd = nesterov ? 0.0f : 5e-3f, lr = 0.05f;
                        View w(n, o.a), g(n, o.b), m(momentum != 0.0f ? n : 0, o.c), th(1, (o.a + o.c) % 4);
                        fill_random(w, rng, 1.0f);
                        fill_random(g, rng, 1.0f);
                        if (momentum != 0.0f) fill_random(m, rng, 0.5f);
                        const std::size_t mid = n / 2;
                        for (std::size_t i = 3; i < n; i += 5) { w[i] = w[mid]; g[i] = (i % 2 ? -1.0f : 1.0f) * g[mid]; }
                        if (n > 4) g[1] = std::nanf("");
                        th[0] = std::fabs(g[mid] * w[mid]);
                        std::vector<float> w0(w.p, w.p + n), m0(m.p, m.p + m.n);
                        launch(l.grid, l.block, [&] {
                            gsm_step(w.p, g.p, momentum != 0.0f ? m.p : nullptr, th.p, n, lr, momentum, wd, nesterov, first);
                        });
                        bool ok = true;
                        std::size_t selected = 0;
                        for (std::size_t i = 0; i < n; ++i) {
                            const float score = std::fabs(g[i] * w0[i]);
                            const bool keep = score >= th[0];
                            selected += keep;
                            float buf = momentum != 0.0f ? m0[i] : 0.0f;
                            ok &= same_bits(w[i], torch_sgd(w0[i], keep ? g[i] : 0.0f, buf, lr, momentum, 0.0f, wd, nesterov, first));
                            if (momentum != 0.0f) ok &= same_bits(m[i], buf);
                        }
                        if (n > 4) ok &= std::isfinite(w[1]);  // a NaN gradient scores NaN: not selected, only decayed
                        const std::string what = label("gsm_step", n, o, l) + " momentum=" + std::to_string(momentum) +
                                                 " nesterov=" + std::to_string(nesterov) + " first=" + std::to_string(first);
                        expect(ok, what);
                        expect(selected >= 1 && (n < 5 || selected < n), what + ": the threshold selects some, not all (" + std::to_string(selected) + ")");
                        expect(w.front_intact() && g.front_intact() && m.front_intact() && th.front_intact(), what + ": wrote before a view");
                    }
}

// Masked SGD: g' = mask ? g : +0, SGD, then pruned weights +0.0 when zero_pruned. Masks at
// byte offsets 0-3 with kept bytes other than 1, guard bytes on both sides.
static void check_masked_sgd() {
    Rng rng(9);
    const std::size_t lengths[] = {1, 5, 1027};
    for (std::size_t n : lengths)
        for (Offsets o : kOffsets)
            for (float momentum : {0.0f, 0.9f})
                for (float dampening : {0.0f, 0.25f})
                    for (int zero : {0, 1})
                        for (int first : {0, 1}) {
                            if (momentum == 0.0f && (dampening != 0.0f || first)) continue;
                            const Launch l = kLaunches[(n + o.c + first + zero) % 4];
                            const std::size_t mask_offset = (o.a + o.b + zero) % 4;
                            const float wd = 5e-3f, lr = 0.05f;
                            View w(n, o.a), g(n, o.b), m(momentum != 0.0f ? n : 0, o.c);
                            fill_random(w, rng, 1.0f);
                            fill_random(g, rng, 1.0f);
                            if (momentum != 0.0f) fill_random(m, rng, 0.5f);
                            std::vector<unsigned char> bytes(n + mask_offset + 1, 0xEE);
                            unsigned char* mask = bytes.data() + mask_offset;
                            for (std::size_t i = 0; i < n; ++i) {
                                const std::uint32_t r = rng.next() % 8;
                                mask[i] = r < 3 ? 0 : r == 3 ? 2 : r == 4 ? 255 : 1;
                            }
                            std::vector<float> w0(w.p, w.p + n), m0(m.p, m.p + m.n);
                            launch(l.grid, l.block, [&] {
                                masked_sgd_step(w.p, g.p, momentum != 0.0f ? m.p : nullptr, mask, n, lr, momentum, dampening, wd, 0, first, zero);
                            });
                            bool ok = bytes[n + mask_offset] == 0xEE && (mask_offset == 0 || bytes[mask_offset - 1] == 0xEE);
                            for (std::size_t i = 0; i < n; ++i) {
                                float buf = momentum != 0.0f ? m0[i] : 0.0f;
                                const float updated = torch_sgd(w0[i], mask[i] ? g[i] : 0.0f, buf, lr, momentum, dampening, wd, 0, first);
                                ok &= same_bits(w[i], zero && !mask[i] ? 0.0f : updated);
                                if (momentum != 0.0f) ok &= same_bits(m[i], buf);
                            }
                            expect(ok, label("masked_sgd_step", n, o, l) + " momentum=" + std::to_string(momentum) + " dampening=" +
                                           std::to_string(dampening) + " zero_pruned=" + std::to_string(zero) + " first=" +
                                           std::to_string(first) + " mask offset=" + std::to_string(mask_offset));
                            expect(w.front_intact() && g.front_intact() && m.front_intact(), "masked_sgd_step wrote before a view");
                        }
}

// ---------------------------------------------------------------------------- random numbers

// Random123's known answers for philox4x32 with 10 rounds (kat_vectors): counter, key, output.
static void check_philox() {
    struct Kat { std::uint32_t c[4], k[2], out[4]; };
    const Kat kats[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}, {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (const Kat& k : kats) {
        const Philox4x32 r = philox4x32_10(k.c[0], k.c[1], k.c[2], k.c[3], k.k[0], k.k[1]);
        char hex[16];
        std::snprintf(hex, sizeof hex, "%08x", k.c[0]);
        expect(r.v[0] == k.out[0] && r.v[1] == k.out[1] && r.v[2] == k.out[2] && r.v[3] == k.out[3],
               std::string("philox4x32_10 known answer for counter word 0 ") + hex);
    }
    // sparsestep's counter layout: (index low, index high, round, stream), key (seed low, seed high)
    const std::uint64_t seed = 0x123456789abcdef0ull, index = 0x0000000380000001ull;
    const Philox4x32 b = philox4x32_10((std::uint32_t)index, (std::uint32_t)(index >> 32), 7, 1, (std::uint32_t)seed,
                                       (std::uint32_t)(seed >> 32));
    expect(philox_uniform(seed, index, 7, 1) == (float)(b.v[0] >> 8) / 16777216.0f, "philox_uniform is word 0 of the block in [0, 1)");
}

// DropPruning's move against a reference written from the rule: kept non-survivors drop on
// u(stream 0) < p, pruned entries return on u(stream 1) < q, with and without saved weights.
static void check_drop_step() {
    Rng rng(10);
    struct Rates { float p, q; };
    const Rates rates[] = {{0.5f, 0.3f}, {1.0f, 0.0f}, {0.0f, 1.0f}};
    for (std::size_t n : kLengths)
        for (std::size_t offset : {0u, 1u, 2u, 3u})
            for (Rates r : rates)
                for (Launch l : kLaunches) {
                    const bool with_saved = (n + offset) % 2 == 0;
                    const std::uint64_t seed = 0x9E3779B97F4A7C15ull ^ n, round = 0x100000002ull, base = 0x2FFFFFFF0ull + offset;
                    View w(n, offset), saved(with_saved ? n : 0, (offset + 1) % 4);
                    fill_random(w, rng, 1.0f);
                    if (with_saved) fill_random(saved, rng, 1.0f);
                    std::vector<unsigned char> mask_bytes(n + offset + 1, 0xEE), surv_bytes(n + 3 - offset + 1, 0xEE);
                    unsigned char* mask = mask_bytes.data() + offset;
                    unsigned char* survivors = surv_bytes.data() + (3 - offset);
                    for (std::size_t i = 0; i < n; ++i) {
                        mask[i] = rng.next() % 5 < 3 ? (rng.next() % 2 ? 1 : 7) : 0;
                        survivors[i] = rng.next() % 2;
                    }
                    std::vector<float> w0(w.p, w.p + n), s0(saved.p, saved.p + saved.n);
                    std::vector<unsigned char> m0(mask, mask + n);
                    launch(l.grid, l.block, [&] {
                        mask_drop_step(w.p, mask, survivors, with_saved ? saved.p : nullptr, n, seed, round, base, r.p, r.q);
                    });
                    bool ok = mask_bytes[n + offset] == 0xEE && surv_bytes[n + 3 - offset] == 0xEE;
                    std::size_t changed = 0;
                    for (std::size_t i = 0; i < n; ++i) {
                        const std::uint64_t index = base + i;
                        auto u = [&](std::uint32_t stream) {
                            const Philox4x32 b = philox4x32_10((std::uint32_t)index, (std::uint32_t)(index >> 32), (std::uint32_t)round,
                                                               stream, (std::uint32_t)seed, (std::uint32_t)(seed >> 32));
                            return (float)(b.v[0] >> 8) / 16777216.0f;
                        };
                        unsigned char want_mask = m0[i];
                        float want_w = w0[i], want_saved = with_saved ? s0[i] : 0.0f;
                        if (m0[i] != 0) {
                            if (survivors[i] == 0 && u(0) < r.p) { want_saved = w0[i]; want_w = 0.0f; want_mask = 0; }
                        } else if (u(1) < r.q) {
                            want_mask = 1;
                            want_w = with_saved ? s0[i] : 0.0f;
                        }
                        changed += want_mask != m0[i];
                        ok &= mask[i] == want_mask && same_bits(w[i], want_w) && (!with_saved || same_bits(saved[i], want_saved));
                    }
                    const std::string what = "mask_drop_step n=" + std::to_string(n) + " offset=" + std::to_string(offset) + " p=" +
                                             std::to_string(r.p) + " q=" + std::to_string(r.q) + (with_saved ? "" : " saved=NULL");
                    expect(ok, what);
                    expect(n < 1000 || changed > 0, what + ": some entries change");
                    expect(w.front_intact() && saved.front_intact(), what + ": wrote before a view");
                }
}

// ---------------------------------------------------------------------------- elementwise

static void check_flat_kernels() {
    Rng rng(3);
    for (std::size_t n : kLengths)
        for (Offsets o : kOffsets)
            for (Launch l : kLaunches) {
                {
                    View x(n, o.a);
                    launch(l.grid, l.block, [&] { fill_f32(x.p, n, -2.5f); });
                    bool ok = x.front_intact();
                    for (std::size_t i = 0; i < n; ++i) ok &= x[i] == -2.5f;
                    expect(ok, label("fill_f32", n, o, l));
                }
                {
                    View a(n, o.a), b(n, o.b), out(n, o.c);
                    fill_random(a, rng, 3.0f);
                    fill_random(b, rng, 3.0f);
                    launch(l.grid, l.block, [&] { add_f32(a.p, b.p, out.p, n); });
                    bool ok = out.front_intact();
                    for (std::size_t i = 0; i < n; ++i) ok &= same_bits(out[i], a[i] + b[i]);
                    expect(ok, label("add_f32", n, o, l));
                    // in place: out == a
                    std::vector<float> a0(a.p, a.p + n);
                    launch(l.grid, l.block, [&] { add_f32(a.p, b.p, a.p, n); });
                    ok = true;
                    for (std::size_t i = 0; i < n; ++i) ok &= same_bits(a[i], a0[i] + b[i]);
                    expect(ok, label("add_f32 in place", n, o, l));
                }
                {
                    View x(n, o.b);
                    fill_random(x, rng, 1.0f);
                    if (n > 2) x[2] = std::nanf("");
                    unsigned count = 7;  // counts add to what is there
                    launch(l.grid, l.block, [&] { count_zeros(x.p, n, &count); });
                    unsigned expected = 7;
                    for (std::size_t i = 0; i < n; ++i) expected += (x[i] == 0.0f);
                    expect(count == expected, label("count_zeros", n, o, l) + " got " + std::to_string(count) + " want " + std::to_string(expected));
                }
                {
                    View x(n, o.a), y(n, o.c), dy(n, o.b), dx(n, o.a);
                    fill_random(x, rng, 1.0f);
                    fill_random(dy, rng, 1.0f);
                    if (n > 2) x[2] = std::nanf("");  // NaN stays NaN (Math.max), its gradient is 0
                    launch(l.grid, l.block, [&] { relu_forward(x.p, y.p, n); });
                    bool ok = y.front_intact();
                    for (std::size_t i = 0; i < n; ++i) ok &= same_bits(y[i], (x[i] > 0 || std::isnan(x[i])) ? x[i] : 0.0f);
                    expect(ok, label("relu_forward", n, o, l));
                    launch(l.grid, l.block, [&] { relu_backward(y.p, dy.p, dx.p, n); });
                    ok = dx.front_intact();
                    for (std::size_t i = 0; i < n; ++i) ok &= same_bits(dx[i], x[i] > 0 ? dy[i] : 0.0f);
                    expect(ok, label("relu_backward", n, o, l));
                }
            }
}

struct Shape { int n, channels, spatial; };
static const Shape kShapes[] = {{3, 5, 7}, {2, 3, 1}, {4, 1, 300}, {1, 70, 2}, {0, 4, 3}, {5, 33, 65}};

static void check_bias() {
    Rng rng(4);
    const Launch launches[] = {{1, 32}, {2, 64}, {7, 96}, {64, 256}, {1000, 32}};
    for (Shape s : kShapes)
        for (Launch l : launches) {
            const std::size_t total = (std::size_t)s.n * s.channels * s.spatial;
            View y(total, 1), bias(s.channels, 0), db(s.channels, 2);
            fill_random(y, rng, 1.0f);
            fill_random(bias, rng, 1.0f);
            std::vector<float> y0(y.p, y.p + total);
            const std::string what = "n=" + std::to_string(s.n) + " c=" + std::to_string(s.channels) + " s=" +
                                     std::to_string(s.spatial) + " launch=" + std::to_string(l.grid) + "x" + std::to_string(l.block);
            launch(l.grid, l.block, [&] { add_bias(y.p, bias.p, s.n, s.channels, s.spatial); });
            bool ok = y.front_intact();
            for (int i = 0; i < s.n; ++i)
                for (int c = 0; c < s.channels; ++c)
                    for (int k = 0; k < s.spatial; ++k) {
                        const std::size_t at = ((std::size_t)i * s.channels + c) * s.spatial + k;
                        ok &= same_bits(y[at], y0[at] + bias[c]);
                    }
            expect(ok, "add_bias " + what);

            for (int c = 0; c < s.channels; ++c) db[c] = std::nanf("");  // overwritten, never read
            const unsigned grid = std::min<unsigned>(l.grid, (unsigned)s.channels);  // grid = channels rule, or fewer
            launch(grid, l.block, [&] { bias_grad(y.p, db.p, s.n, s.channels, s.spatial); });
            ok = db.front_intact();
            for (int c = 0; c < s.channels; ++c) {
                double sum = 0, abs_sum = 0;
                for (int i = 0; i < s.n; ++i)
                    for (int k = 0; k < s.spatial; ++k) {
                        const float v = y[((std::size_t)i * s.channels + c) * s.spatial + k];
                        sum += v;
                        abs_sum += std::fabs(v);
                    }
                ok &= std::fabs(db[c] - sum) <= 1e-6 * abs_sum + 1e-30;
            }
            expect(ok, "bias_grad " + what);
        }
}

// ---------------------------------------------------------------------------- loss

static void check_softmax_xent() {
    Rng rng(5);
    struct Case { int n, classes; float scale; };
    const Case cases[] = {{4, 1, 1.0f}, {6, 10, 3.0f}, {3, 33, 1.0f}, {5, 1000, 5.0f}, {3, 7, 2000.0f}};
    const Launch launches[] = {{1, 32}, {2, 64}, {9, 256}, {3, 1024}};
    for (Case cs : cases)
        for (Launch l : launches)
            for (bool with_grad : {true, false}) {
                const int n = cs.n, classes = cs.classes;
                View logits((std::size_t)n * classes, 1), labels(n, 0), dlogits((std::size_t)n * classes, 3), result(2, 0);
                for (std::size_t i = 0; i < logits.n; ++i) logits[i] = rng.uniform(-cs.scale, cs.scale);
                for (int r = 0; r < n; ++r) labels[r] = (float)(rng.next() % classes);
                if (classes >= 10) {
                    // row 0: a tie for the max at 2 and 7, label 7 -> a miss (first arg-max is 2)
                    logits[2] = logits[7] = 50.0f; labels[0] = 7.0f;
                    // row 1: -inf logits (masked classes) contribute exp(-inf) = 0
                    logits[classes + 1] = -INFINITY; logits[classes + 4] = -INFINITY; labels[1] = 0.0f;
                }
                if (n >= 3 && classes >= 2) labels[n - 1] = (float)(classes - 1);  // last class, boundary index
                result[0] = 0.0f; result[1] = 0.0f;
                const float scale = 1.0f / n;
                launch(l.grid, l.block, [&] {
                    softmax_xent(logits.p, labels.p, n, classes, with_grad ? dlogits.p : nullptr, scale, result.p);
                });
                double loss = 0;
                int correct = 0;
                bool grad_ok = true;
                for (int r = 0; r < n; ++r) {
                    const float* x = logits.p + (std::size_t)r * classes;
                    const int k = (int)labels[r];
                    double m = -INFINITY;
                    int arg = 0;
                    for (int j = 0; j < classes; ++j) if (x[j] > m) { m = x[j]; arg = j; }
                    double z = 0;
                    for (int j = 0; j < classes; ++j) z += std::exp((double)x[j] - m);
                    const double lse = m + std::log(z);
                    loss += lse - x[k];
                    correct += arg == k;
                    if (with_grad)
                        for (int j = 0; j < classes; ++j) {
                            const double want = (std::exp((double)x[j] - lse) - (j == k)) * scale;
                            grad_ok &= std::fabs(dlogits[(std::size_t)r * classes + j] - want) <= 2e-6 * scale;
                        }
                }
                const std::string what = "softmax_xent n=" + std::to_string(n) + " classes=" + std::to_string(classes) +
                                         " scale=" + std::to_string(cs.scale) + " launch=" + std::to_string(l.grid) + "x" +
                                         std::to_string(l.block) + (with_grad ? " grad" : " no-grad");
                expect(std::fabs(result[0] - loss) <= 1e-5 * std::fabs(loss) + 1e-6, what + ": loss " + std::to_string(result[0]) + " vs " + std::to_string(loss));
                expect(result[1] == (float)correct, what + ": correct " + std::to_string(result[1]) + " vs " + std::to_string(correct));
                expect(grad_ok, what + ": dlogits");
                expect(logits.front_intact() && dlogits.front_intact(), what + ": wrote before a view");
            }

    // A label outside [0, classes) or not an integer: NaN loss, a miss, gradient without the one-hot term.
    for (float bad : {-1.0f, 3.0f, 1.5f}) {
        View logits(3, 0), labels(1, 0), dlogits(3, 0), result(2, 0);
        logits[0] = 1.0f; logits[1] = 2.0f; logits[2] = 3.0f;
        labels[0] = bad; result[0] = 0.0f; result[1] = 0.0f;
        launch(1, 32, [&] { softmax_xent(logits.p, labels.p, 1, 3, dlogits.p, 1.0f, result.p); });
        const double z = std::exp(-2.0) + std::exp(-1.0) + 1.0;
        expect(std::isnan(result[0]) && result[1] == 0.0f && std::fabs(dlogits[2] - 1.0 / z) < 1e-6,
               "softmax_xent invalid label " + std::to_string(bad));
    }
}

// ---------------------------------------------------------------------------- vector and mask ops

static void check_vector() {
    Rng rng(6);
    for (std::size_t n : kLengths)
        for (Offsets o : kOffsets) {
            if (o.c != 0) continue;  // two pointers: 16 combinations
            for (Launch l : kLaunches) {
                View x(n, o.a), y(n, o.b);
                fill_random(x, rng, 2.0f);
                fill_random(y, rng, 2.0f);
                std::vector<float> y0(y.p, y.p + n);
                const float alpha = -0.37f;
                launch(l.grid, l.block, [&] { axpy_f32(alpha, x.p, y.p, n); });
                bool ok = y.front_intact();
                for (std::size_t i = 0; i < n; ++i) ok &= same_bits(y[i], y0[i] + alpha * x[i]);
                expect(ok, label("axpy_f32", n, o, l));
                launch(l.grid, l.block, [&] { scale_f32(y.p, n, alpha); });
                ok = y.front_intact();
                for (std::size_t i = 0; i < n; ++i) ok &= same_bits(y[i], alpha * (y0[i] + alpha * x[i]));
                expect(ok, label("scale_f32", n, o, l));
                // dot: per-block partials, then their ordered sum
                std::vector<double> partials(l.grid + 1, std::nan(""));
                double total = std::nan("");
                launch(l.grid, l.block, [&] { dot_partials(x.p, y.p, n, partials.data()); });
                launch(1, 32, [&] { sum_partials(partials.data(), l.grid, &total); });
                double want = 0, scale = 0;
                for (std::size_t i = 0; i < n; ++i) {
                    want += (double)x[i] * (double)y[i];
                    scale += std::fabs((double)x[i] * (double)y[i]);
                }
                expect(std::fabs(total - want) <= 1e-12 * scale, label("dot_partials", n, o, l));
                launch(l.grid, l.block, [&] { dot_partials(x.p, nullptr, n, partials.data()); });
                launch(1, 32, [&] { sum_partials(partials.data(), l.grid, &total); });
                double norm2 = 0;
                for (std::size_t i = 0; i < n; ++i) norm2 += (double)x[i] * (double)x[i];
                expect(std::fabs(total - norm2) <= 1e-12 * norm2, label("dot_partials (norm)", n, o, l));
            }
        }
}

static void check_mask() {
    Rng rng(7);
    for (std::size_t n : kLengths)
        for (std::size_t offset : {0u, 1u, 2u, 3u})
            for (Launch l : kLaunches) {
                View x(n, offset);
                fill_random(x, rng, 1.0f);
                if (n > 3) { x[1] = std::nanf(""); x[3] = 0.25f; }  // a NaN is kept; a tie with the threshold is pruned
                std::vector<float> x0(x.p, x.p + n);
                std::vector<unsigned char> mask(n + offset + 1, 0xEE);
                unsigned char* m = mask.data() + offset;
                launch(l.grid, l.block, [&] { mask_from_magnitude(x.p, n, 0.25f, m); });
                bool ok = mask[n + offset] == 0xEE && (offset == 0 || mask[offset - 1] == 0xEE);
                unsigned kept = 0;
                for (std::size_t i = 0; i < n; ++i) {
                    const unsigned char want = !(std::fabs(x[i]) <= 0.25f) ? 1 : 0;
                    ok &= m[i] == want;
                    kept += want;
                }
                expect(ok, "mask_from_magnitude n=" + std::to_string(n) + " offset=" + std::to_string(offset));
                unsigned count = 5;
                launch(l.grid, l.block, [&] { mask_count_kept(m, n, &count); });
                expect(count == 5 + kept, "mask_count_kept n=" + std::to_string(n));
                launch(l.grid, l.block, [&] { mask_apply(m, x.p, n); });
                ok = x.front_intact();
                for (std::size_t i = 0; i < n; ++i) ok &= same_bits(x[i], m[i] ? x0[i] : 0.0f);
                expect(ok, "mask_apply n=" + std::to_string(n) + " offset=" + std::to_string(offset));
            }
}

// ---------------------------------------------------------------------------- selection

// The selection by a sort (a different algorithm from the kernels' radix select): the
// candidates' non-NaN scores, largest first.
struct SelectRef {
    bool valid;
    float th;
    unsigned above, equal, candidates, nans;
};

static float ref_score(const float* w, const float* g, std::size_t i) {
    return g == nullptr ? std::fabs(w[i]) : std::fabs(g[i] * w[i]);  // -ffp-contract=off: the product rounds
}

static SelectRef ref_select(const float* w, const float* g, const unsigned char* cand, std::size_t n, std::uint64_t k) {
    std::vector<float> s;
    SelectRef r{false, std::nanf(""), 0, 0, 0, 0};
    for (std::size_t i = 0; i < n; ++i) {
        if (cand != nullptr && cand[i] == 0) continue;
        ++r.candidates;
        const float x = ref_score(w, g, i);
        if (std::isnan(x)) ++r.nans;
        else s.push_back(x);
    }
    std::sort(s.begin(), s.end(), [](float a, float b) { return a > b; });
    if (k < 1 || k > s.size()) return r;
    r.valid = true;
    r.th = s[k - 1];
    for (float x : s) {
        r.above += x > r.th;
        r.equal += x == r.th;
    }
    return r;
}

// Scores with many exact ties, zeros of both signs, subnormals, +inf and NaN among them.
static void fill_scores(View& w, View& g, Rng& rng, bool all_equal) {
    // the last: a NaN whose bits share +inf's leading digits, so only the NaN test keeps it
    // out once +inf is the prefix
    const std::uint32_t nan_after_inf = 0x7f800001u;
    float levels[11] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 3e-39f, 1e-45f, 1e30f, INFINITY, -INFINITY, 0.0f};
    std::memcpy(&levels[10], &nan_after_inf, 4);
    for (std::size_t i = 0; i < w.n; ++i) {
        if (all_equal) {
            w[i] = -0.75f;
            g[i] = 2.0f;
            continue;
        }
        const std::uint32_t r = rng.next() % 16;
        w[i] = r < 5 ? levels[rng.next() % 11] : r == 5 ? std::nanf("") : rng.uniform(-2.0f, 2.0f);
        g[i] = r == 6 ? 0.5f : r == 7 ? std::nanf("") : rng.uniform(-1.0f, 1.0f);
    }
}

// scratch: the kernels' state, histogram and one tie word per 4096 elements, NaN-filled
// around so that a kernel relying on memory it did not clear shows.
static void run_select(const float* w, const float* g, const unsigned char* cand, std::size_t n, std::uint64_t k,
                       unsigned* scratch, Launch l) {
    launch(l.grid, l.block, [&] { select_init(scratch, k); });
    for (int level = 0; level < 3; ++level) {
        launch(l.grid, l.block, [&] { select_histogram(w, g, cand, n, scratch, level); });
        launch(l.grid, l.block, [&] { select_pick(scratch, level); });
    }
}

static float word_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }

static void check_select() {
    Rng rng(8);
    // every combination of the three pointers' offsets on the short lengths, in one score
    // and candidates setting each (rotating); the long ones (several chunks of 4096, grids
    // that stride) in 16 combinations, every setting
    const std::size_t lengths[] = {0, 1, 5, 13, 1027, 9001};
    const Launch launches[] = {{1, 32}, {3, 64}, {2, 96}, {5, 256}, {2, 1024}};
    int variant = 0;
    for (std::size_t n : lengths)
        for (Offsets o : kOffsets) {
            const bool long_case = n > 100;
            if (long_case && o.a != o.c) continue;
            for (int setting = 0; setting < 4; ++setting) {
                if (!long_case && setting != (int)((o.a + o.b + o.c + n) % 4)) continue;
                const bool saliency = setting & 1, with_candidates = setting & 2;
                    const bool all_equal = variant % 7 == 3;
                    const Launch l = launches[variant++ % 5];
                    View w(n, o.a), g(n, o.b);
                    fill_scores(w, g, rng, all_equal);
                    std::vector<unsigned char> cand_store(n + o.c + 1, 0xEE), mask_store(n + 3, 0xEE);
                    unsigned char* cand = with_candidates ? cand_store.data() + o.c : nullptr;
                    unsigned char* mask = mask_store.data() + 1;
                    for (std::size_t i = 0; with_candidates && i < n; ++i) {
                        const std::uint32_t r = rng.next() % 8;
                        cand[i] = r < 3 ? 0 : r == 3 ? 2 : r == 4 ? 255 : 1;
                    }
                    const float* gp = saliency ? g.p : nullptr;
                    const SelectRef all = ref_select(w.p, gp, cand, n, ~0ull);
                    const unsigned valid_count = all.candidates - all.nans;
                    std::vector<std::uint64_t> ks = {1, valid_count / 3 + 1, valid_count, valid_count + 1, 1ull << 33};
                    if (!long_case) ks = {variant % 2 ? 1 : valid_count / 2 + 1, valid_count + (variant % 3 == 0)};
                    std::vector<unsigned> scratch(16 + 2048 + (n + 4095) / 4096 + 1, 0x7fc00001u);
                    for (std::uint64_t k : ks) {
                        if (k == 0) continue;  // the host refuses k < 1
                        const std::string what = std::string("select n=") + std::to_string(n) + " offsets=" + std::to_string(o.a) + "," +
                                                 std::to_string(o.b) + "," + std::to_string(o.c) + " launch=" +
                                                 std::to_string(l.grid) + "x" + std::to_string(l.block) +
                                                 (saliency ? " |g*w|" : " |w|") + (with_candidates ? " candidates" : "") +
                                                 (all_equal ? " all equal" : "") + " k=" + std::to_string(k);
                        const SelectRef want = ref_select(w.p, gp, cand, n, k);
                        run_select(w.p, gp, cand, n, k, scratch.data(), l);
                        const bool valid = scratch[1] != 0;
                        bool ok = valid == want.valid && scratch[4] == want.candidates && scratch[5] == want.nans &&
                                  scratch[6] == (unsigned)k && scratch[7] == (unsigned)(k >> 32);
                        if (want.valid) ok &= same_bits(word_float(scratch[0]), want.th) && scratch[2] == want.above && scratch[3] == want.equal;
                        else ok &= std::isnan(word_float(scratch[0])) && scratch[2] == 0 && scratch[3] == 0;
                        expect(ok, what + ": threshold " + std::to_string(word_float(scratch[0])) + " vs " + std::to_string(want.th) +
                                       ", above " + std::to_string(scratch[2]) + " vs " + std::to_string(want.above) + ", equal " +
                                       std::to_string(scratch[3]) + " vs " + std::to_string(want.equal));
                        bool cleared = true;
                        for (unsigned b = 0; b < 2048; ++b) cleared &= scratch[16 + b] == 0 || !valid;
                        expect(cleared, what + ": histogram not cleared after the last pick");
                        // both tie rules, and the ranked one in place over a copy of the candidates
                        for (int rule = 0; rule < 3; ++rule) {
                            const bool ranked = rule > 0, in_place = rule == 2 && with_candidates;
                            if (rule == 2 && !with_candidates) continue;
                            std::vector<unsigned char> cand_copy(cand_store);
                            const unsigned char* c_in = in_place ? cand_copy.data() + o.c : cand;
                            unsigned char* out = in_place ? cand_copy.data() + o.c : mask;
                            if (ranked) {
                                launch(l.grid, l.block, [&] { select_tie_counts(w.p, gp, c_in, n, scratch.data()); });
                                launch(l.grid, l.block, [&] { select_tie_scan(scratch.data(), n); });
                                launch(l.grid, l.block, [&] { select_keep_ranked(w.p, gp, c_in, n, scratch.data(), out); });
                            } else {
                                launch(l.grid, l.block, [&] { select_keep(w.p, gp, c_in, n, scratch.data(), out); });
                            }
                            bool mask_ok = true;
                            std::uint64_t ties_kept = 0, kept = 0;
                            for (std::size_t i = 0; i < n; ++i) {
                                bool keep = false;
                                if (want.valid && (cand == nullptr || cand[i] != 0)) {
                                    const float x = ref_score(w.p, gp, i);
                                    if (x > want.th) keep = true;
                                    else if (x == want.th) keep = !ranked || ties_kept++ < k - want.above;
                                }
                                kept += keep;
                                mask_ok &= out[i] == (keep ? 1 : 0);
                            }
                            if (in_place) mask_ok &= cand_copy[o.c + n] == 0xEE && (o.c == 0 || cand_copy[o.c - 1] == 0xEE);
                            else mask_ok &= mask_store[0] == 0xEE && mask_store[n + 1] == 0xEE;
                            if (want.valid && ranked) mask_ok &= kept == k;
                            expect(mask_ok, what + (ranked ? " lowest index first" : " keep all") + (in_place ? " in place" : "") + ": mask");
                        }
                    }
                    expect(w.front_intact() && g.front_intact() && scratch.back() == 0x7fc00001u,
                           "select wrote before a view or past its scratch");
                }
        }
}

// ---------------------------------------------------------------------------- the shim itself

// Kernels that break CUDA's rules: the shim must refuse each launch, with the reason.
static void divergent_barrier(int) {
    if (threadIdx.x < 40) __syncthreads();
}
static void shuffle_missed_by_a_lane(int) {
    if (threadIdx.x != 37) (void)__shfl_xor_sync(0xffffffffu, 1.0f, 1);
}
#define reinterpret_cast shim::checked_reinterpret_cast  // as kernels.inc does for the kernels
static void misaligned_float4(float* p) {
    if (threadIdx.x == 0) *reinterpret_cast<float4*>(p + 1) = make_float4(1, 2, 3, 4);
}
#undef reinterpret_cast
static void shuffle_in_partial_warp(int) { (void)__shfl_xor_sync(0xffffffffu, 1.0f, 1); }

// A block sum over a barrier and shuffles, with a thread order the shim cannot get right
// by accident: every thread adds its index.
static void block_sum_of_indices(unsigned* out) {
    const unsigned total = block_sum_u32(threadIdx.x);
    if (threadIdx.x == 0) out[blockIdx.x] = total;
}

// An exclusive scan of the thread indices by __shfl_up_sync (select.cu's block scan).
static void block_scan_of_indices(unsigned* out) {
    unsigned total;
    const unsigned before = block_exclusive_scan_u32(threadIdx.x, &total);
    out[threadIdx.x] = before;
    if (threadIdx.x == 0) out[blockDim.x] = total;
}

static void check_shim() {
    struct Refusal { const char* what; int code; int rc; std::string message; };
    std::vector<Refusal> refusals;
    refusals.push_back({"divergent __syncthreads", shim::kLaunchFailed, shim::launch(2, 64, [] { divergent_barrier(0); }),
                        shim::state().message});
    refusals.push_back({"shuffle a lane misses", shim::kLaunchFailed, shim::launch(1, 64, [] { shuffle_missed_by_a_lane(0); }),
                        shim::state().message});
    alignas(16) float buffer[8] = {};
    refusals.push_back({"misaligned float4", shim::kMisalignedAddress, shim::launch(1, 32, [&] { misaligned_float4(buffer); }),
                        shim::state().message});
    refusals.push_back({"shuffle in a partial warp", shim::kLaunchFailed, shim::launch(1, 48, [] { shuffle_in_partial_warp(0); }),
                        shim::state().message});
    refusals.push_back({"block of 1025", shim::kInvalidValue, shim::launch(1, 1025, [] {}), shim::state().message});
    for (const Refusal& r : refusals) {
        expect(r.rc == r.code && !r.message.empty(),
               std::string("shim: ") + r.what + " gave " + std::to_string(r.rc) + " (" + r.message + "), want " + std::to_string(r.code));
    }
    for (unsigned block : {32u, 96u, 1024u}) {
        unsigned out[3] = {0, 0, 0};
        launch(3, block, [&] { block_sum_of_indices(out); });
        const unsigned want = block * (block - 1) / 2;
        expect(out[0] == want && out[1] == want && out[2] == want, "shim: block sum of indices, block " + std::to_string(block));
        std::vector<unsigned> scan(block + 1, 0);
        launch(1, block, [&] { block_scan_of_indices(scan.data()); });
        bool ok = scan[block] == want;
        for (unsigned t = 0; t < block; ++t) ok &= scan[t] == t * (t - 1) / 2;
        expect(ok, "shim: block exclusive scan of indices (__shfl_up_sync), block " + std::to_string(block));
    }
}

// ---------------------------------------------------------------------------- group kernels

// A weight [O, I, K] and its grouping (0 filters, 1 channels, 2 kernels), with the
// element indices of each group listed from (o, i, k) directly, not from the kernels'
// (p / seg) * stride + g * seg + p % seg.
struct GroupCase { unsigned O, I, K; int grouping; };

struct GroupLayout {
    unsigned groups, m, seg, stride;
    std::vector<std::vector<unsigned>> members;  // members[g][p] = element index
    explicit GroupLayout(GroupCase c) {
        const unsigned O = c.O, I = c.I, K = c.K;
        auto at = [&](unsigned o, unsigned i, unsigned k) { return (o * I + i) * K + k; };
        if (c.grouping == 0) {
            groups = O; m = I * K; seg = m; stride = m;
            for (unsigned o = 0; o < O; ++o) {
                members.emplace_back();
                for (unsigned i = 0; i < I; ++i) for (unsigned k = 0; k < K; ++k) members.back().push_back(at(o, i, k));
            }
        } else if (c.grouping == 1) {
            groups = I; m = O * K; seg = K; stride = I * K;
            for (unsigned i = 0; i < I; ++i) {
                members.emplace_back();
                for (unsigned o = 0; o < O; ++o) for (unsigned k = 0; k < K; ++k) members.back().push_back(at(o, i, k));
            }
        } else {
            groups = O * I; m = K; seg = m; stride = m;
            for (unsigned o = 0; o < O; ++o)
                for (unsigned i = 0; i < I; ++i) {
                    members.emplace_back();
                    for (unsigned k = 0; k < K; ++k) members.back().push_back(at(o, i, k));
                }
        }
    }
    unsigned size() const { return groups * m; }
};

static const GroupCase kGroupCases[] = {
    {9, 1, 1, 0},     // m = 1: gRDA's soft threshold
    {5, 3, 9, 0},     // m = 27: one thread per group
    {2, 3, 3, 1},     // m = 6, strided, one thread per group
    {4, 6, 9, 2},     // m = 9 kernels
    {3, 7, 9, 0},     // m = 63: block per group, m % 4 != 0 (scalar)
    {7, 20, 25, 0},   // m = 500: block per group, float4 when aligned
    {6, 5, 9, 1},     // m = 54 channels: strided runs of 9
    {40, 3, 1, 1},    // m = 40 channels of a linear-like [40, 3, 1]: stride 3, runs of 1
    {3, 1200, 1, 0},  // m = 1200: more than 1024 lanes, thread sums go round twice
    {1, 2050, 1, 0},  // m = 2050, one group, m % 4 == 2
};

static std::string group_label(const char* kernel, GroupCase c, unsigned grid, unsigned block) {
    return std::string(kernel) + " [" + std::to_string(c.O) + "," + std::to_string(c.I) + "," + std::to_string(c.K) + "] grouping=" +
           std::to_string(c.grouping) + " launch=" + std::to_string(grid) + "x" + std::to_string(block);
}

// The documented order for m > 32 and a block of B threads: 4*B partial sums (p mod 4B, in
// increasing p), (s0 + s1) + (s2 + s3) per thread, a pairwise tree over each warp of 32
// threads, then over the warp totals padded with zeros to 32.
static double pairwise32(std::vector<double> v) {
    for (unsigned o = 16; o > 0; o >>= 1)
        for (unsigned l = 0; l < o; ++l) v[l] = v[l] + v[l + o];
    return v[0];
}

static double ordered_sum(const std::vector<double>& terms, unsigned block) {
    if (terms.size() <= 32) {
        double s = 0.0;
        for (double t : terms) s = s + t;
        return s;
    }
    std::vector<double> lanes(4 * block, 0.0);
    for (std::size_t p = 0; p < terms.size(); ++p) lanes[p % (4 * block)] = lanes[p % (4 * block)] + terms[p];
    std::vector<double> warps(32, 0.0);
    for (unsigned w = 0; w < block / 32; ++w) {
        std::vector<double> threads(32);
        for (unsigned l = 0; l < 32; ++l) {
            const unsigned t = 32 * w + l;
            threads[l] = (lanes[4 * t] + lanes[4 * t + 1]) + (lanes[4 * t + 2] + lanes[4 * t + 3]);
        }
        warps[w] = pairwise32(threads);
    }
    return pairwise32(warps);
}

// The sDprun rule for one group from its new accumulator values and their ordered sum of squares.
static float sdprun_weight(float a, double sum, float threshold, unsigned m) {
    if (m == 1) return std::isnan(a) ? a : a > threshold ? a - threshold : a < -threshold ? a + threshold : 0.0f;
    const double norm = std::sqrt(sum);
    const float factor = norm <= (double)threshold ? 0.0f : (float)(1.0 - (double)threshold / norm);
    const float w = a * factor;
    return w == 0.0f ? 0.0f : w;
}

// Values whose magnitudes span 2^-30..2^2, with exact zeros of both signs: sums of their
// squares absorb small terms into large ones, so a sum in any other order than the
// documented one differs in its last bits.
static void fill_magnitudes(View& v, Rng& rng) {
    for (std::size_t i = 0; i < v.n; ++i) {
        const std::uint32_t r = rng.next() % 12;
        const float mantissa = rng.uniform(1.0f, 2.0f) * (rng.next() % 2 ? 1.0f : -1.0f);
        v[i] = r == 0 ? 0.0f : r == 1 ? -0.0f : std::ldexp(mantissa, -(int)(rng.next() % 32));
    }
}

static void check_group_sdprun() {
    Rng rng(8);
    const unsigned blocks[] = {32, 64, 256};
    for (GroupCase c : kGroupCases) {
        const GroupLayout gl(c);
        const unsigned n = gl.size();
        const bool small = gl.m <= 32;
        for (Offsets o : kOffsets)
            for (float threshold : {0.0f, 0.4f})
                for (unsigned block : blocks) {
                    if (block != 256 && (o.a | o.b | o.c) != 0) continue;  // other block sizes: the aligned case
                    // small groups: threads over groups (a grid of 1 makes the stride loop go round);
                    // large: one block per group, or fewer so the block loop goes round
                    const unsigned grid = small ? 1 : (o.a + o.b) % 2 == 0 ? gl.groups : std::max(1u, gl.groups / 2);
                    View w(n, o.a), g(n, o.b), acc(n, o.c);
                    std::vector<double> sums(gl.groups, std::nan(""));
                    fill_magnitudes(g, rng);
                    fill_magnitudes(acc, rng);
                    for (unsigned i = 0; i < n; ++i) w[i] = std::nanf("");  // never read
                    if (gl.groups > 2) {
                        for (unsigned e : gl.members[1]) { acc[e] = 0.0f; g[e] = 0.0f; }          // an all-zero group: +0.0
                        acc[gl.members[2][gl.m - 1]] = std::nanf("");                          // a NaN group stays NaN
                    }
                    std::vector<float> acc0(acc.p, acc.p + n);
                    const float lr = 0.09f;
                    const bool counting = (o.a + o.c) % 2 == 0;
                    unsigned zeros = 3;  // counts add to what is there
                    launch(grid, block, [&] {
                        (small ? group_sdprun_step_small : group_sdprun_step)(w.p, g.p, acc.p, gl.groups, gl.m, gl.seg, gl.stride, lr,
                                                                             threshold, sums.data(), counting ? &zeros : nullptr);
                    });
                    bool ok_acc = true, ok_w = true, ok_sum = true, ok_direction = true;
                    unsigned expected_zeros = 3;
                    for (unsigned gi = 0; gi < gl.groups; ++gi) {
                        std::vector<double> terms;
                        double plain = 0.0;
                        for (unsigned e : gl.members[gi]) {
                            const float a = acc0[e] - lr * g[e];
                            ok_acc &= same_bits(acc[e], a);
                            terms.push_back((double)a * (double)a);
                            plain += (double)a * (double)a;
                        }
                        const double sum = ordered_sum(terms, block);
                        ok_sum &= sums[gi] == sum || (std::isnan(sum) && std::isnan(sums[gi]));  // double, bit for bit
                        ok_sum &= std::isnan(plain) || std::fabs(sum - plain) <= 1e-12 * plain;  // the order is a sum
                        for (unsigned e : gl.members[gi]) {
                            const float want = sdprun_weight(acc[e], sum, threshold, gl.m);
                            ok_w &= same_bits(w[e], want);
                            ok_direction &= std::isnan(w[e]) || (double)w[e] * (double)acc[e] >= 0.0;  // a shrink, never a flip
                            expected_zeros += want == 0.0f;
                        }
                    }
                    const std::string what = group_label("group_sdprun_step", c, grid, block) + " offsets=" + std::to_string(o.a) + "," +
                                             std::to_string(o.b) + "," + std::to_string(o.c) + " threshold=" + std::to_string(threshold);
                    expect(ok_acc, what + ": acc");
                    expect(ok_sum, what + ": sums of squares");
                    expect(ok_w, what + ": w");
                    expect(ok_direction, what + ": direction");
                    if (counting) expect(zeros == expected_zeros, what + ": zero count " + std::to_string(zeros) + " vs " + std::to_string(expected_zeros));
                    if (gl.groups > 2) {
                        bool zero_group = true;
                        for (unsigned e : gl.members[1]) zero_group &= same_bits(w[e], 0.0f);
                        expect(zero_group, what + ": an all-zero accumulator is written +0.0");
                        expect(std::isnan(w[gl.members[2][0]]) || gl.m == 1, what + ": a NaN group is written NaN, not pruned");
                    }
                    expect(w.front_intact() && g.front_intact() && acc.front_intact(), what + ": wrote before a view");
                }
    }
}

static void check_group_norms_and_mask() {
    Rng rng(9);
    const unsigned blocks[] = {32, 96, 256};
    for (GroupCase c : kGroupCases) {
        const GroupLayout gl(c);
        const unsigned n = gl.size();
        const bool small = gl.m <= 32;
        for (Offsets o : kOffsets) {
            if (o.c != 0) continue;  // two pointers: 16 combinations
            for (unsigned block : blocks) {
                if (block != 256 && (o.a | o.b) != 0) continue;
                const unsigned grid = small ? 2 : std::max(1u, gl.groups - 1);
                View x(n, o.a), norms(gl.groups, o.b);
                fill_magnitudes(x, rng);
                for (int l2 : {0, 1}) {
                    launch(grid, block, [&] { group_norms(x.p, gl.groups, gl.m, gl.seg, gl.stride, l2, norms.p); });
                    bool ok = norms.front_intact();
                    for (unsigned gi = 0; gi < gl.groups; ++gi) {
                        std::vector<double> terms;
                        for (unsigned e : gl.members[gi]) terms.push_back(l2 ? (double)x[e] * (double)x[e] : std::fabs((double)x[e]));
                        const double sum = ordered_sum(terms, block);
                        ok &= same_bits(norms[gi], (float)(l2 ? std::sqrt(sum) : sum));
                    }
                    expect(ok, group_label(l2 ? "group_norms L2" : "group_norms L1", c, grid, block) + " offsets=" +
                                   std::to_string(o.a) + "," + std::to_string(o.b));
                }
                // mask: about a third of the groups pruned, kept bytes other than 1 among the rest
                std::vector<unsigned char> mask(gl.groups + o.b + 1, 0xEE);
                unsigned char* m = mask.data() + o.b;
                for (unsigned gi = 0; gi < gl.groups; ++gi) m[gi] = gi % 3 == 1 ? 0 : gi % 3 == 0 ? 1 : 7;
                std::vector<float> x0(x.p, x.p + n);
                const unsigned period = gl.seg == gl.m ? gl.groups : c.I;
                launch(grid, block, [&] { group_mask_apply(m, x.p, n, gl.seg, period); });
                bool ok = x.front_intact() && mask[gl.groups + o.b] == 0xEE;
                for (unsigned gi = 0; gi < gl.groups; ++gi)
                    for (unsigned e : gl.members[gi]) ok &= same_bits(x[e], m[gi] ? x0[e] : 0.0f);
                expect(ok, group_label("group_mask_apply", c, grid, block) + " offsets=" + std::to_string(o.a) + "," + std::to_string(o.b));
            }
        }
    }
}

int main() {
    check_shim();
    check_grda();
    check_sgd();
    check_gsm();
    check_masked_sgd();
    check_philox();
    check_drop_step();
    check_flat_kernels();
    check_bias();
    check_softmax_xent();
    check_vector();
    check_mask();
    check_select();
    check_group_sdprun();
    check_group_norms_and_mask();
    std::printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
