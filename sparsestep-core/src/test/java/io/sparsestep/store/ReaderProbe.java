package io.sparsestep.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Feeds one file content at a time to every entry point of the safetensors reader and
 * holds it to its contract: it reads the file, or it throws a
 * {@link SafetensorsFormatException} with a one-line message naming the file. Any other
 * throwable is a crash; a read slower than {@link #READ_BUDGET} counts as a hang; native
 * memory beyond the file's size, or heap far beyond it, is an allocation the file did not
 * pay for.
 */
final class ReaderProbe {
    /** A read of a file of a few kilobytes takes microseconds; this is generous for a loaded CI machine. */
    static final Duration READ_BUDGET = Duration.ofSeconds(2);
    /** Heap for the parsed JSON tree, exceptions and buffers: a constant plus a multiple of the file. */
    private static final long HEAP_SLACK_BYTES = 8L << 20;
    private static final long HEAP_PER_FILE_BYTE = 64;

    enum Verdict { READ, REJECTED }

    record Outcome(Verdict verdict, String message) {
        boolean rejected() {
            return verdict == Verdict.REJECTED;
        }
    }

    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final Path file;
    private boolean warm;
    private int reads;
    private long slowestNanos;

    ReaderProbe(Path file) {
        this.file = file;
    }

    int reads() {
        return reads;
    }

    Duration slowest() {
        return Duration.ofNanos(slowestNanos);
    }

    /** Writes {@code content} and reads it every way; {@code label} says which case failed. */
    Outcome probe(String label, byte[] content) throws IOException {
        if (!warm) {
            warmUp();
        }
        place(content);
        Outcome tensors = timed(label, content.length, () -> readTensors(content.length));
        Outcome metadata = timed(label, content.length, () -> readMetadata(label));
        // the header decides both: the metadata may only be readable when the tensors are
        // not (the tensors are checked further), never the other way round
        if (tensors.verdict() == Verdict.READ) {
            assertEquals(Verdict.READ, metadata.verdict(), label + ": tensors read but metadata refused: " + metadata.message());
        }
        return tensors;
    }

    /**
     * The first read in a JVM loads and initialises Jackson (about 15 MB of heap); that is
     * no cost of the file, so it happens here, unmeasured, on a valid and a broken file.
     */
    private void warmUp() throws IOException {
        warm = true;
        String json = "{\"__metadata__\":{\"lr\":\"0.1\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        for (byte[] content : List.of(SafetensorsBytes.frame(json, new byte[4]), SafetensorsBytes.frame(json + "}", new byte[4]))) {
            place(content);
            try (Arena arena = Arena.ofConfined()) {
                Safetensors.read(file, arena);
                SafetensorsMetadata.read(file).finiteDouble("lr");
            } catch (SafetensorsFormatException expected) {
                // the broken one
            }
        }
    }

    /**
     * Overwrites the file in place and cuts it to size. Files.write truncates to zero first,
     * which on ext4 forces the old blocks out (auto_da_alloc, about 1.5 ms a time) and
     * would make the fuzz test I/O-bound.
     */
    private void place(byte[] content) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer bytes = ByteBuffer.wrap(content);
            while (bytes.hasRemaining()) {
                channel.write(bytes, bytes.position());
            }
            channel.truncate(content.length);
        }
    }

    private interface Read {
        void run() throws IOException;
    }

    private Outcome timed(String label, long fileBytes, Read read) {
        long heapBefore = THREADS.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        Outcome outcome;
        try {
            read.run();
            outcome = new Outcome(Verdict.READ, null);
        } catch (SafetensorsFormatException e) {
            checkMessage(label, e);
            outcome = new Outcome(Verdict.REJECTED, e.getMessage());
        } catch (Throwable t) {
            throw new AssertionError(label + ": the reader crashed with " + t, t);
        }
        long nanos = System.nanoTime() - start;
        long heap = THREADS.getCurrentThreadAllocatedBytes() - heapBefore;
        reads++;
        slowestNanos = Math.max(slowestNanos, nanos);
        assertTrue(nanos < READ_BUDGET.toNanos(), label + ": one read took " + nanos / 1_000_000 + " ms");
        assertTrue(heap < HEAP_SLACK_BYTES + HEAP_PER_FILE_BYTE * fileBytes,
                label + ": one read allocated " + heap + " bytes of heap for a file of " + fileBytes);
        return outcome;
    }

    private void readTensors(long fileBytes) throws IOException {
        try (BoundedArena arena = new BoundedArena(fileBytes)) {
            for (Map.Entry<String, FloatTensorData> tensor : Safetensors.read(file, arena).entrySet()) {
                long product = 1;
                for (int dim : tensor.getValue().shape()) {
                    product *= dim;
                }
                assertEquals(4 * product, tensor.getValue().data().byteSize(), tensor.getKey());
            }
        }
    }

    /** Every metadata value through every typed accessor: each parses or is refused by name. */
    private void readMetadata(String label) throws IOException {
        SafetensorsMetadata metadata = SafetensorsMetadata.read(file);
        for (String key : metadata.values().keySet()) {
            assertEquals(metadata.values().get(key), metadata.text(key));
            try {
                assertTrue(Double.isFinite(metadata.finiteDouble(key)), label + ": " + key);
            } catch (SafetensorsFormatException e) {
                checkNamesKey(label, key, e);
            }
            try {
                metadata.longValue(key);
            } catch (SafetensorsFormatException e) {
                checkNamesKey(label, key, e);
            }
        }
    }

    private void checkNamesKey(String label, String key, SafetensorsFormatException e) {
        checkMessage(label, e);
        assertTrue(e.getMessage().contains(OneLine.quoted(key)), label + ": message does not name " + key + ": " + e.getMessage());
    }

    private void checkMessage(String label, SafetensorsFormatException e) {
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ": "), label + ": message does not name the file first: " + message);
        assertEquals(file, e.file(), label);
        assertTrue(message.chars().noneMatch(Character::isISOControl), label + ": message is not one plain line: " + message);
        assertTrue(message.length() < 500, label + ": message of " + message.length() + " characters: " + message);
    }
}
