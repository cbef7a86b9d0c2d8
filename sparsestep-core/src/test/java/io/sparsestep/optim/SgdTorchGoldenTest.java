package io.sparsestep.optim;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.golden.TorchGolden;
import io.sparsestep.params.ParamGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.sparsestep.golden.GoldenAssertions.assertBitwise;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * SGD against torch.optim.SGD (fixture sgd.json: plain, weight decay, momentum, momentum
 * with dampening and weight decay, full dampening, Nesterov with weight decay; five steps
 * with the lr changed between them), bit for bit.
 *
 * <p>Bitwise is the right bar: both sides do the same float32 operations in the same order,
 * product rounded before each add. The fixture comes from torch's portable kernels
 * (ATEN_CPU_CAPABILITY=default); its AVX2 kernels fuse {@code p + alpha*d} into an FMA and
 * so differ from any unfused implementation in the last bit of some elements.
 *
 * <p>The weight tensor has 37 elements (two vectors of 16 lanes and a tail of 5, or more
 * vectors for fewer lanes) and the bias 5 (tail only), so both code paths of the kernel
 * are compared.
 */
class SgdTorchGoldenTest {
    private static final JsonNode GOLDEN = TorchGolden.load("sgd.json");
    private static final List<String> TENSORS = List.of("weight", "bias");
    private static Backend be;

    @BeforeAll
    static void open() { be = new CpuBackend(); }

    @AfterAll
    static void close() { be.close(); }

    static Stream<String> cases() {
        List<String> names = new ArrayList<>();
        GOLDEN.get("cases").forEach(c -> names.add(c.get("name").asText()));
        return names.stream();
    }

    /** Through the optimizer the trainer uses: its lr factor, groups and first-step flag. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void optimizerMatchesTorchBitForBit(String name) {
        JsonNode c = golden(name);
        try (FlatFixture f = new FlatFixture(be, size(c, "weight"), size(c, "bias"), 1);
             Sgd sgd = Sgd.builder().lr(c.get("lr").doubleValue()).momentum(c.get("momentum").doubleValue())
                     .dampening(c.get("dampening").doubleValue()).weightDecay(c.get("weight_decay").doubleValue())
                     .nesterov(c.get("nesterov").booleanValue()).build(f.mem.paramSpace())) {
            f.write(f.mem.params(), layout(f, c.get("initial")));
            JsonNode steps = c.get("steps");
            for (int k = 0; k < steps.size(); k++) {
                JsonNode step = steps.get(k);
                f.write(f.mem.grads(), layout(f, step.get("grad")));
                sgd.step(c.get("lr_factors").get(k).doubleValue());
                float[] params = f.read(f.mem.params());
                for (String t : TENSORS) {
                    assertBitwise(TorchGolden.floats(step.get("param").get(t)), group(f, params, t),
                            name + " step " + (k + 1) + " " + t);
                }
            }
        }
    }

    /** Through the backend op, where the momentum buffer can be read after every step too. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backendStepMatchesTorchParamsAndMomentumBufferBitForBit(String name) {
        JsonNode c = golden(name);
        boolean momentum = c.get("momentum").doubleValue() != 0;
        for (String t : TENSORS) {
            int n = size(c, t);
            try (Buffer w = be.allocate(n, "w"); Buffer g = be.allocate(n, "g"); Buffer m = be.allocate(n, "m")) {
                Tensor wt = new Tensor(w, 0, n), gt = new Tensor(g, 0, n), mt = new Tensor(m, 0, n);
                be.upload(MemorySegment.ofArray(TorchGolden.floats(c.get("initial").get(t))), wt);
                JsonNode steps = c.get("steps");
                for (int k = 0; k < steps.size(); k++) {
                    JsonNode step = steps.get(k);
                    String what = name + " step " + (k + 1) + " " + t;
                    be.upload(MemorySegment.ofArray(TorchGolden.floats(step.get("grad").get(t))), gt);
                    // what Sgd.step(lrFactor) hands the backend: the lr product in double, then float
                    float lr = (float) (c.get("lr").doubleValue() * c.get("lr_factors").get(k).doubleValue());
                    be.steps().sgd(wt, gt, momentum ? mt : null, lr, (float) c.get("momentum").doubleValue(),
                            (float) c.get("dampening").doubleValue(), (float) c.get("weight_decay").doubleValue(),
                            c.get("nesterov").booleanValue(), k == 0);
                    assertBitwise(TorchGolden.floats(step.get("param").get(t)), read(wt), what);
                    assertEquals(momentum, step.has("momentum_buffer"), what + ": the fixture has a buffer iff momentum");
                    if (momentum) assertBitwise(TorchGolden.floats(step.get("momentum_buffer").get(t)), read(mt), what + " buffer");
                }
            }
        }
    }

    private static JsonNode golden(String name) {
        for (JsonNode c : GOLDEN.get("cases")) if (c.get("name").asText().equals(name)) return c;
        throw new IllegalArgumentException("no SGD case " + name);
    }

    private static int size(JsonNode c, String tensor) { return c.get("initial").get(tensor).size(); }

    /** The fixture's two tensors placed in the parameter buffer: weight in the weights group, bias in the other. */
    private static float[] layout(FlatFixture f, JsonNode tensors) {
        float[] all = new float[Math.toIntExact(f.mem.params().words())];
        for (String t : TENSORS) {
            float[] values = TorchGolden.floats(tensors.get(t));
            System.arraycopy(values, 0, all, Math.toIntExact(f.mem.groupRange(group(t))[0]), values.length);
        }
        return all;
    }

    private static float[] group(FlatFixture f, float[] all, String tensor) {
        long[] range = f.mem.groupRange(group(tensor));
        float[] out = new float[Math.toIntExact(range[1])];
        System.arraycopy(all, Math.toIntExact(range[0]), out, 0, out.length);
        return out;
    }

    private static ParamGroup group(String tensor) { return tensor.equals("weight") ? ParamGroup.WEIGHTS : ParamGroup.BIAS_AND_NORM; }

    private static float[] read(Tensor t) {
        float[] out = new float[Math.toIntExact(t.size())];
        be.download(t, MemorySegment.ofArray(out));
        return out;
    }
}
