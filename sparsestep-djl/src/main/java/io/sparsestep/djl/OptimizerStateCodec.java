package io.sparsestep.djl;

import ai.djl.Device;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The stream format of {@link SparsestepOptimizer#saveState}: magic {@code SSDJ}, version 2,
 * the rule's description (its settings), the entry count, then per parameter and device (in
 * the block's order, then by device type and id): the parameter's name in the block, the
 * device type and id, its element count, step count, gRDA threshold (double), buffer count and each buffer as little-endian float32, then
 * whether it holds a pruning mask (a boolean) and the mask, one byte per element (1 kept, 0
 * pruned); last, the optimizer's own scalars (a count, then name and double each, e.g. GSM's
 * {@code final_pruned}). Header fields are big-endian (DataOutputStream). Version 1 (gRDA and
 * SGD before masks) is read too: no masks, no scalars. Names rather than ids, because DJL
 * gives every parameter a new random id each time a model is built.
 */
final class OptimizerStateCodec {
    private static final int MAGIC = 0x53534A44; // "SSDJ"
    private static final int VERSION = 2;
    private static final ValueLayout.OfFloat STORED = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** What a stream holds: the states keyed by this block's parameter ids and device, and the optimizer's scalars. */
    record Saved(Map<String, Map<Device, StepState>> states, Map<String, Double> scalars) {}

    private OptimizerStateCodec() {}

    static void write(OutputStream out, String rule, ParameterRoles roles, Map<String, Map<Device, StepState>> states,
                      Map<String, Double> scalars) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(MAGIC);
        data.writeInt(VERSION);
        data.writeUTF(rule);
        int entries = 0;
        for (Map<Device, StepState> perDevice : states.values()) entries += perDevice.size();
        data.writeInt(entries);
        // in the block's order and by device, so one state always gives the same bytes
        for (ParameterRoles.Role role : roles.all()) {
            Map<Device, StepState> perDevice = states.get(role.parameter().getId());
            if (perDevice == null) continue;
            String name = role.name();
            List<Map.Entry<Device, StepState>> devices = new ArrayList<>(perDevice.entrySet());
            devices.sort(Comparator.comparing((Map.Entry<Device, StepState> d) -> d.getKey().getDeviceType())
                    .thenComparingInt(d -> d.getKey().getDeviceId()));
            for (Map.Entry<Device, StepState> d : devices) {
                StepState s = d.getValue();
                data.writeUTF(name);
                data.writeUTF(d.getKey().getDeviceType());
                data.writeInt(d.getKey().getDeviceId());
                data.writeLong(s.size());
                data.writeLong(s.steps);
                data.writeDouble(s.tau);
                data.writeInt(s.bufferCount());
                for (int i = 0; i < s.bufferCount(); i++) data.write(bytesOf(s.buffer(i), s.size()));
                data.writeBoolean(s.masked());
                if (s.masked()) data.write(s.mask().asSlice(0, s.size()).toArray(ValueLayout.JAVA_BYTE));
            }
        }
        data.writeInt(scalars.size());
        for (Map.Entry<String, Double> e : scalars.entrySet()) {
            data.writeUTF(e.getKey());
            data.writeDouble(e.getValue());
        }
        data.flush();
    }

    /** What a stream holds, keyed by this block's parameter ids; checks everything before returning. */
    static Saved read(InputStream in, StepRule rule, ParameterRoles roles) throws IOException {
        DataInputStream data = new DataInputStream(in);
        try {
            int magic = data.readInt();
            if (magic != MAGIC) {
                throw new IOException("not a sparsestep DJL optimizer state (starts with 0x" + Integer.toHexString(magic)
                        + ", expected 0x" + Integer.toHexString(MAGIC) + "); pass what saveState wrote");
            }
            int version = data.readInt();
            if (version != 1 && version != VERSION) {
                throw new IOException("optimizer state version " + version + " is not known (this library reads 1 and " + VERSION + ")");
            }
            String saved = data.readUTF();
            if (!saved.equals(rule.describe())) {
                throw new IllegalArgumentException("the optimizer state is of " + saved + " but this optimizer is " + rule.describe()
                        + "; build it with the settings the state was saved with");
            }
            int entries = data.readInt();
            if (entries < 0) throw new IOException("optimizer state says it holds " + entries + " entries");
            Map<String, Map<Device, StepState>> out = new HashMap<>();
            for (int k = 0; k < entries; k++) readEntry(data, version, rule, roles, out);
            Map<String, Double> scalars = new LinkedHashMap<>();
            int count = version == 1 ? 0 : data.readInt();
            if (count < 0) throw new IOException("optimizer state says it holds " + count + " scalars");
            for (int k = 0; k < count; k++) scalars.put(data.readUTF(), data.readDouble());
            return new Saved(Collections.unmodifiableMap(out), Collections.unmodifiableMap(scalars));
        } catch (EOFException e) {
            throw new IOException("the optimizer state ends early (truncated?); pass the whole stream saveState wrote", e);
        }
    }

    private static void readEntry(DataInputStream data, int version, StepRule rule, ParameterRoles roles,
                                  Map<String, Map<Device, StepState>> out) throws IOException {
        String name = data.readUTF();
        Device device = Device.of(data.readUTF(), data.readInt());
        long size = data.readLong();
        long steps = data.readLong();
        double tau = data.readDouble();
        int buffers = data.readInt();
        ParameterRoles.Role role = roles.byName(name);
        if (role == null) {
            throw new IllegalArgumentException("the optimizer state holds parameter " + name + ", which this block does not have;"
                    + " load it into an optimizer built for the same model");
        }
        if (role.parameter().getShape() != null && role.parameter().getShape().size() != size) {
            throw new IllegalArgumentException("the optimizer state holds " + size + " elements for " + name + ", the block's parameter has "
                    + role.parameter().getShape().size() + " (" + role.parameter().getShape() + ")");
        }
        if (size < 0 || steps < 1 || !(tau >= 0) || buffers != rule.bufferCount()) {
            throw new IOException("optimizer state of " + name + " is damaged: size " + size + ", steps " + steps + ", tau " + tau
                    + ", " + buffers + " buffers (" + rule.bufferCount() + " expected)");
        }
        boolean masked = rule.masked() && role.prunable();
        StepState state = new StepState(size, buffers, masked, Arena.ofAuto());
        state.steps = steps;
        state.tau = tau;
        for (int i = 0; i < buffers; i++) {
            byte[] bytes = new byte[Math.toIntExact(size * Float.BYTES)];
            data.readFully(bytes);
            MemorySegment.copy(MemorySegment.ofArray(bytes), STORED, 0, state.buffer(i), ValueLayout.JAVA_FLOAT, 0, size);
        }
        boolean savedMask = version != 1 && data.readBoolean();
        if (savedMask != masked) {
            throw new IOException("optimizer state of " + name + " is damaged: it " + (savedMask ? "holds" : "lacks") + " a pruning mask, "
                    + rule.describe() + " keeps " + (masked ? "one" : "none") + " for it");
        }
        if (masked) readMask(data, name, state);
        if (out.computeIfAbsent(role.parameter().getId(), id -> new ConcurrentHashMap<>()).put(device, state) != null) {
            throw new IOException("optimizer state holds " + name + " on " + device + " twice");
        }
    }

    private static void readMask(DataInputStream data, String name, StepState state) throws IOException {
        byte[] bytes = new byte[Math.toIntExact(state.size())];
        data.readFully(bytes);
        for (byte b : bytes) {
            if (b != 0 && b != 1) throw new IOException("optimizer state of " + name + " is damaged: a mask byte is " + b + " (0 or 1 expected)");
        }
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, state.mask(), 0, bytes.length);
    }

    private static byte[] bytesOf(MemorySegment buffer, long size) {
        byte[] bytes = new byte[Math.toIntExact(size * Float.BYTES)];
        MemorySegment.copy(buffer, ValueLayout.JAVA_FLOAT, 0, MemorySegment.ofArray(bytes), STORED, 0, size);
        return bytes;
    }
}
