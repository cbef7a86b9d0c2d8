package io.sparsestep.data.fetch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sparsestep.data.DataException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code data fetch} against a local HTTP server (this machine has no internet): small
 * datasets in the real formats (MNIST IDX gzip files, a CIFAR-10 binary tar.gz), served whole,
 * cut off mid-body, without range support, corrupt, or not at all. Every finished fetch is
 * proven by the loader reading it; nothing wrong is ever left under a real file name.
 */
class FetcherTest {
    private HttpServer server;
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    /** Per path: how many bytes the next answers send before the connection is cut (absent: all). */
    private final Map<String, List<Integer>> cuts = Collections.synchronizedMap(new LinkedHashMap<>());
    private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean ranges = true;
    private final AtomicInteger served = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::serve);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool()); // a stalled answer must not hold up the next
        server.start();
    }

    @AfterEach
    void stop() { server.stop(0); }

    private String base(String mirror) { return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + mirror + "/"; }

    private void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String range = ex.getRequestHeaders().getFirst("Range");
        requests.add(path + (range == null ? "" : " " + range));
        byte[] body = files.get(path);
        if (body == null) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        served.incrementAndGet();
        int from = 0;
        List<Integer> c = cuts.get(path);
        // a cut: n > 0 ends the body after n bytes (chunked, so the client sees a clean but short end), n < 0 stalls after -n bytes
        int cut = c == null || c.isEmpty() ? 0 : c.removeFirst();
        if (ranges && range != null && range.startsWith("bytes=")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            ex.sendResponseHeaders(206, cut > 0 ? 0 : body.length - from);
        } else {
            ex.sendResponseHeaders(200, cut > 0 ? 0 : body.length);
        }
        int limit = cut == 0 ? body.length - from : Math.min(body.length - from, Math.abs(cut));
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body, from, limit);
            out.flush();
            if (cut < 0) Thread.sleep(2_000); // past the client's read timeout
        } catch (IOException | InterruptedException e) {
            ex.close();
        }
    }

    // ---- datasets in the real formats, small

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b)) { g.write(raw); }
        return b.toByteArray();
    }

    private static byte[] idx(int magic, int count, int... dims) {
        int size = count;
        for (int d : dims) size *= d;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 4 * dims.length + size);
        b.putInt(magic).putInt(count);
        for (int d : dims) b.putInt(d);
        // random pixels: incompressible, so the gzip files are several kB and can be cut mid-body
        java.util.Random r = new java.util.Random(magic * 31L + count);
        for (int i = 0; i < size; i++) b.put((byte) (dims.length == 0 ? r.nextInt(10) : r.nextInt(256)));
        return b.array();
    }

    /** A 7-image train and 3-image test MNIST, its four .gz files registered under /{mirror}/. */
    private Remote mnist(String... mirrors) throws IOException {
        List<RemoteFile> remote = new ArrayList<>();
        Map<String, byte[]> content = Map.of(
                "train-images-idx3-ubyte.gz", gzip(idx(0x803, 7, 28, 28)), "train-labels-idx1-ubyte.gz", gzip(idx(0x801, 7)),
                "t10k-images-idx3-ubyte.gz", gzip(idx(0x803, 3, 28, 28)), "t10k-labels-idx1-ubyte.gz", gzip(idx(0x801, 3)));
        for (String name : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")) {
            byte[] body = content.get(name);
            for (String m : mirrors) files.put("/" + m + "/" + name, body);
            remote.add(new RemoteFile(name, md5(body), body.length));
        }
        return new Remote("mnist", List.of(mirrors).stream().map(this::base).toList(), remote, "mnist", null, List.of());
    }

    private static String md5(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aFreshFetchLandsWhereTheLoaderReadsIt(@TempDir Path dir) throws Exception {
        Remote r = mnist("a");
        Fetcher.Result res = Fetcher.fetch(r, dir, FetchProgress.lines(System.out));
        assertEquals(7, res.probe().train().count());
        assertEquals(3, res.probe().test().count());
        for (RemoteFile f : r.files()) {
            assertArrayEquals(files.get("/a/" + f.name()), Files.readAllBytes(dir.resolve("mnist").resolve(f.name())));
            assertFalse(Files.exists(dir.resolve("mnist").resolve(f.name() + ".part")));
        }
        // again: verified on disk, nothing downloaded
        int before = served.get();
        List<String> said = new ArrayList<>();
        Fetcher.fetch(r, dir, said::add);
        assertEquals(before, served.get(), "a verified file is not downloaded again");
        assertTrue(said.contains("train-images-idx3-ubyte.gz: already there, MD5 verified"), said.toString());
    }

    @Test
    void aDroppedConnectionIsResumedWithARangeRequest(@TempDir Path dir) throws Exception {
        Remote r = mnist("a");
        String big = "/a/train-images-idx3-ubyte.gz";
        cuts.put(big, new ArrayList<>(List.of(1000, -500)));
        List<String> said = new ArrayList<>();
        int timeout = Download.readTimeoutMs;
        Download.readTimeoutMs = 300;
        try {
            Fetcher.fetch(r, dir, said::add);
        } finally {
            Download.readTimeoutMs = timeout;
        }
        assertArrayEquals(files.get(big), Files.readAllBytes(dir.resolve("mnist/train-images-idx3-ubyte.gz")));
        List<String> asked = requests.stream().filter(q -> q.startsWith(big)).toList();
        assertEquals(List.of(big, big + " bytes=1000-", big + " bytes=1500-"), asked);
        assertTrue(said.stream().anyMatch(l -> l.contains("connection dropped after 1,000 of") && l.contains("the body ended early")), said.toString());
        assertTrue(said.stream().anyMatch(l -> l.contains("connection dropped after 1,500 of") && l.contains("SocketTimeoutException")), said.toString());
    }

    @Test
    void aKilledFetchResumesItsPartAndAServerWithoutRangesStartsOver(@TempDir Path dir) throws Exception {
        Remote r = mnist("a");
        String name = "train-images-idx3-ubyte.gz";
        byte[] body = files.get("/a/" + name);
        Path part = dir.resolve("mnist").resolve(name + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(body, 777)); // what a kill mid-download leaves
        Fetcher.fetch(r, dir, FetchProgress.lines(System.out));
        assertTrue(requests.contains("/a/" + name + " bytes=777-"), requests.toString());
        assertArrayEquals(body, Files.readAllBytes(dir.resolve("mnist").resolve(name)));

        Path other = dir.resolve("other");
        Files.createDirectories(other.resolve("mnist"));
        Files.write(other.resolve("mnist").resolve(name + ".part"), new byte[] {9, 9, 9}); // wrong bytes, too
        ranges = false;
        List<String> said = new ArrayList<>();
        Fetcher.fetch(r, other, said::add);
        assertArrayEquals(body, Files.readAllBytes(other.resolve("mnist").resolve(name)));
        assertTrue(said.stream().anyMatch(l -> l.contains("does not resume downloads; downloading from the start")), said.toString());
    }

    @Test
    void aCorruptDownloadIsDeletedAndTheNextMirrorTried(@TempDir Path dir) throws Exception {
        Remote r = mnist("bad", "good");
        String name = "t10k-labels-idx1-ubyte.gz";
        byte[] wrong = files.get("/good/" + name).clone();
        wrong[wrong.length / 2] ^= 1;
        files.put("/bad/" + name, wrong);
        List<String> said = new ArrayList<>();
        Fetcher.fetch(r, dir, said::add);
        assertArrayEquals(files.get("/good/" + name), Files.readAllBytes(dir.resolve("mnist").resolve(name)));
        assertTrue(said.stream().anyMatch(l -> l.contains("corrupt download (MD5 " + md5(wrong))), said.toString());

        // every mirror corrupt: one line, nothing under the real name, no part left
        Path d2 = dir.resolve("two");
        files.put("/good/" + name, wrong);
        DataException e = assertThrows(DataException.class, () -> Fetcher.fetch(r, d2, FetchProgress.lines(System.out)));
        assertTrue(e.getMessage().contains("could not download " + name) && e.getMessage().contains("MD5 " + md5(wrong)), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertFalse(Files.exists(d2.resolve("mnist").resolve(name)));
        assertFalse(Files.exists(d2.resolve("mnist").resolve(name + ".part")));

        // a wrong file already under the real name (a copy placed by hand, say) is downloaded again
        files.put("/good/" + name, fixed(wrong));
        Path d3 = dir.resolve("three");
        Files.createDirectories(d3.resolve("mnist"));
        Files.write(d3.resolve("mnist").resolve(name), wrong);
        List<String> again = new ArrayList<>();
        Fetcher.fetch(r, d3, again::add);
        assertArrayEquals(fixed(wrong), Files.readAllBytes(d3.resolve("mnist").resolve(name)));
        assertTrue(again.contains(name + ": already there but its MD5 is " + md5(wrong) + ", not " + md5(fixed(wrong)) + "; downloading it again"),
                again.toString());
    }

    private static byte[] fixed(byte[] wrong) {
        byte[] b = wrong.clone();
        b[b.length / 2] ^= 1;
        return b;
    }

    @Test
    void offlineIsOneLineNamingTheUrlAndTheFix(@TempDir Path dir) throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) { closed = s.getLocalPort(); }
        Remote r = new Remote("mnist", List.of("http://127.0.0.1:" + closed + "/mnist/"),
                List.of(new RemoteFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422)), "mnist", null, List.of());
        DataException e = assertThrows(DataException.class, () -> Fetcher.fetch(r, dir, FetchProgress.lines(System.out)));
        String m = e.getMessage();
        assertTrue(m.contains("offline? download it from http://127.0.0.1:" + closed + "/mnist/train-images-idx3-ubyte.gz by hand"), m);
        assertTrue(m.contains("f68b3c2dcbeaaa9fbdd348bbdeb94873") && m.contains(dir.resolve("mnist").toString()), m);
        assertFalse(m.contains("\n"));
        assertFalse(Files.exists(dir.resolve("mnist").resolve("train-images-idx3-ubyte.gz")));
    }

    @Test
    void aCifarArchiveIsUnpackedMemberByMemberAndNothingElse(@TempDir Path dir) throws Exception {
        List<String> members = List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin",
                "test_batch.bin", "batches.meta.txt");
        ByteArrayOutputStream tgz = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(tgz))) {
            for (String m : members) {
                byte[] b = m.endsWith(".txt") ? "airplane\n".getBytes() : cifarRecords(m.startsWith("test") ? 2 : 3);
                add(tar, "cifar-10-batches-bin/" + m, b);
            }
            add(tar, "cifar-10-batches-bin/readme.html", "x".getBytes());
            add(tar, "../evil.txt", "evil".getBytes());
        }
        byte[] archive = tgz.toByteArray();
        files.put("/k/cifar-10-binary.tar.gz", archive);
        Remote r = new Remote("cifar10", List.of(base("k")), List.of(new RemoteFile("cifar-10-binary.tar.gz", md5(archive), archive.length)), "",
                "cifar-10-batches-bin", members);
        Fetcher.Result res = Fetcher.fetch(r, dir, FetchProgress.lines(System.out));
        assertEquals(15, res.probe().train().count(), "5 batches of 3");
        assertEquals(2, res.probe().test().count());
        assertFalse(Files.exists(dir.getParent().resolve("evil.txt")) || Files.exists(dir.resolve("evil.txt")), "no path from the archive is trusted");
        assertFalse(Files.exists(dir.resolve("cifar-10-batches-bin/readme.html")), "only the loader's members");
        assertFalse(Files.exists(dir.resolve(".cifar-10-batches-bin.unpacking")));
        List<String> said = new ArrayList<>();
        Fetcher.fetch(r, dir, said::add);
        assertTrue(said.contains("cifar-10-batches-bin: already unpacked from this archive"), said.toString());
    }

    private static byte[] cifarRecords(int n) {
        byte[] b = new byte[n * 3073];
        for (int i = 0; i < n; i++) b[i * 3073] = (byte) (i % 10);
        return b;
    }

    private static void add(TarArchiveOutputStream tar, String name, byte[] b) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(b.length);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }
}
