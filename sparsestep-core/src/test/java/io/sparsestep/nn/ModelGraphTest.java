package io.sparsestep.nn;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The graph describes exactly what the planner allocates: names, shapes and order of every parameter and statistic. */
class ModelGraphTest {
    private static Backend be;

    @BeforeAll
    static void open() { be = new CpuBackend(); }

    @AfterAll
    static void close() { be.close(); }

    private static int[] input(String model) { return Architecture.nominalInput(model); }

    private static void assertDescribes(Architecture arch) {
        int[] in = input(arch.model());
        ModelGraph g = ModelGraph.of(Models.create(arch, in, 10), in);
        try (Network net = Network.build(arch.model(), be, Models.create(arch, in, 10), in, 10, 1, 1)) {
            List<Param> params = net.params();
            assertEquals(params.size(), g.parameters().size(), arch.model() + " parameter count");
            for (int i = 0; i < params.size(); i++) {
                assertEquals(params.get(i).name(), g.parameters().get(i).name(), "parameter " + i);
                assertArrayEquals(params.get(i).shape(), g.parameters().get(i).shape(), params.get(i).name());
            }
            List<StateTensor> states = net.memory().stateList();
            assertEquals(states.size(), g.states().size());
            for (int i = 0; i < states.size(); i++) {
                assertEquals(states.get(i).name(), g.states().get(i).name());
                assertEquals(states.get(i).size(), g.states().get(i).size());
            }
            assertEquals(net.parameterCount(), ModelCost.of(g).parameters());
        }
        assertArrayEquals(new int[] {10}, g.shape(g.outputValue()));
        assertEquals(g.classifier().output(), g.outputValue());
    }

    @ParameterizedTest
    @ValueSource(strings = {"lenet300", "lenet5", "vgg16", "resnet20", "resnet56", "wrn28-1", "wrn28-2"})
    void theGraphListsWhatTheNetworkHolds(String model) {
        assertDescribes(Architecture.defaults(model));
    }

    @ParameterizedTest
    @ValueSource(strings = {"vgg16-a", "resnet56-a", "resnet56-b"})
    void soDoesAResizedModel(String preset) {
        assertDescribes(Architecture.preset(preset));
    }

    @Test
    void aResidualSumOfUnequalWidthsIsRefusedNamingBothLayers() {
        // conv1 feeds layer1.0's identity shortcut: the stage's block outputs are tied to it
        var e = assertThrows(IllegalArgumentException.class,
                () -> Architecture.defaults("resnet20").with(java.util.Map.of("layer1.0.branch.conv2", 12)));
        assertTrue(e.getMessage().startsWith("layer1.0: its branch ends in [12, 32, 32] (from layer1.0.branch.conv2) but its identity "
                + "shortcut carries [16, 32, 32] (from conv1)"), e.getMessage());
        // a projection block sums with its shortcut conv: those two are tied as well
        var p = assertThrows(IllegalArgumentException.class,
                () -> Architecture.defaults("resnet20").with(java.util.Map.of("layer2.0.shortcut.conv", 30)));
        assertTrue(p.getMessage().contains("(from layer2.0.shortcut.conv)"), p.getMessage());
        // the first conv of a block is free
        assertEquals(5, Architecture.defaults("resnet20").with(java.util.Map.of("layer1.0.branch.conv1", 5)).width("layer1.0.branch.conv1"));
    }
}
