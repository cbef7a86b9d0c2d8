package io.sparsestep.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Where a run happened: CPU model, cores, OS, JDK; the report is meaningless without it. */
final class MachineInfo {
    private MachineInfo() {}

    static Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("logical cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("caches (core 0)", caches());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        return m;
    }

    /**
     * The 1, 5 and 15 minute load averages: on a shared machine, other work competing for
     * the cores and memory bus changes every figure, so the report records it.
     */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return f[0] + " / " + f[1] + " / " + f[2];
        } catch (IOException | RuntimeException e) {
            return String.format(java.util.Locale.ROOT, "%.2f (1 min)", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    /** "L1d 48K, L1i 32K, L2 2048K, L3 266240K" from sysfs: whether a size fits in cache decides which bandwidth it sees. */
    private static String caches() {
        StringBuilder sb = new StringBuilder();
        Path base = Path.of("/sys/devices/system/cpu/cpu0/cache");
        for (int i = 0; i < 8; i++) {
            Path idx = base.resolve("index" + i);
            if (!Files.isDirectory(idx)) break;
            try {
                String level = Files.readString(idx.resolve("level")).strip();
                String type = Files.readString(idx.resolve("type")).strip();
                String size = Files.readString(idx.resolve("size")).strip();
                String suffix = type.equals("Data") ? "d" : type.equals("Instruction") ? "i" : "";
                if (!sb.isEmpty()) sb.append(", ");
                sb.append('L').append(level).append(suffix).append(' ').append(size);
            } catch (IOException | RuntimeException e) {
                break;
            }
        }
        return sb.isEmpty() ? "unknown" : sb.toString();
    }

    /**
     * A note for the report when the machine was already busy as the run started (1-minute
     * load above half the cores): timings then include other work's share of the cores
     * and memory bus, and only differences well above the ± column mean anything.
     */
    static Optional<String> busyWarning(String loadAverage, int cores) {
        double load1;
        try {
            load1 = Double.parseDouble(loadAverage.split("[ /(]+")[0]);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        if (!(load1 > cores / 2.0)) return Optional.empty();
        return Optional.of(String.format(java.util.Locale.ROOT,
                "the machine was busy when the run started (1-minute load %.2f on %d cores): other work shared the cores and "
                        + "memory bus, so treat differences smaller than a few times the ± column as noise", load1, cores));
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the architecture below is still reported
        }
        return System.getProperty("os.arch");
    }
}
