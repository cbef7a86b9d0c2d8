package io.sparsestep.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The grid rule of the flat and per-row kernels. */
class LaunchConfigTest {

    @Test
    void oneFloat4PerThreadUntilAFullWave() {
        assertEquals(new LaunchConfig(1, 256), LaunchConfig.flat(1, 132));
        assertEquals(new LaunchConfig(1, 256), LaunchConfig.flat(1024, 132));
        assertEquals(new LaunchConfig(2, 256), LaunchConfig.flat(1025, 132));
        assertEquals(new LaunchConfig(1056, 256), LaunchConfig.flat(1056L * 1024, 132));
        assertEquals(new LaunchConfig(1056, 256), LaunchConfig.flat(1056L * 1024 + 1, 132)); // capped at 8 blocks per SM
        assertEquals(new LaunchConfig(1056, 256), LaunchConfig.flat(25_000_000_000L, 132));
    }

    @Test
    void emptyRangesAndUnknownSmCountsStillGiveAValidLaunch() {
        assertEquals(new LaunchConfig(1, 256), LaunchConfig.flat(0, 132));
        assertEquals(new LaunchConfig(8, 256), LaunchConfig.flat(1_000_000, 0));
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.flat(-1, 132));
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(0, 256));
    }

    @Test
    void gridStrideCoversEveryElementWithinFewSweeps() {
        for (long n : new long[] {1, 7, 1023, 1025, 4099, 1 << 20, 123_456_789}) {
            LaunchConfig c = LaunchConfig.flat(n, 132);
            long threads = (long) c.gridX() * c.blockX();
            long sweeps = Math.ceilDiv(n, threads * LaunchConfig.ELEMENTS_PER_THREAD);
            assertTrue(sweeps >= 1);
            // below the wave cap the whole range is one sweep
            if (c.gridX() < 132 * LaunchConfig.BLOCKS_PER_SM) assertEquals(1, sweeps, "n=" + n);
        }
    }

    @Test
    void oneBlockPerRow() {
        assertEquals(new LaunchConfig(64, 256), LaunchConfig.perRow(64));
        assertEquals(new LaunchConfig(1, 256), LaunchConfig.perRow(0));
    }
}
