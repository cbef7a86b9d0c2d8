package io.sparsestep.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code data fetch} as a user meets it without the internet: one line naming the URL, the
 * MD5 and where to put the file by hand; a mirror serving something else than the published
 * file is refused by its MD5 and nothing is left under the real name; an unknown dataset is
 * named. (The downloads themselves are FetcherTest's, against a local server.)
 */
class DataFetchCommandTest {
    @Test
    void offlineTellsWhereToGetTheFileAndWhereToPutIt(@TempDir Path dir) throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) { closed = s.getLocalPort(); }
        String line = CliRun.of("data", "fetch", "mnist", "--mirror", "http://127.0.0.1:" + closed + "/m", "--dir", dir.toString(), "--no-progress")
                .badInputLine();
        assertTrue(line.contains("mnist: could not download train-images-idx3-ubyte.gz"), line);
        assertTrue(line.contains("offline? download it from http://127.0.0.1:" + closed + "/m/train-images-idx3-ubyte.gz by hand"), line);
        assertTrue(line.contains("f68b3c2dcbeaaa9fbdd348bbdeb94873") && line.contains(dir.resolve("mnist").toString()), line);
    }

    @Test
    void aMirrorServingOtherBytesIsRefusedByTheMd5(@TempDir Path dir) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] body = new byte[9_912_422]; // the size of MNIST's training images, not their bytes
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(200, body.length);
            try (var out = ex.getResponseBody()) { out.write(body); }
        });
        server.start();
        try {
            String line = CliRun.of("data", "fetch", "mnist", "--mirror", "http://127.0.0.1:" + server.getAddress().getPort() + "/",
                    "--dir", dir.toString(), "--no-progress").badInputLine();
            assertTrue(line.contains("could not download train-images-idx3-ubyte.gz"), line);
            assertFalse(Files.exists(dir.resolve("mnist").resolve("train-images-idx3-ubyte.gz")));
            assertFalse(Files.exists(dir.resolve("mnist").resolve("train-images-idx3-ubyte.gz.part")), "a wrong part is not kept");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void anUnknownOrGeneratedDatasetIsNamed(@TempDir Path dir) {
        assertTrue(CliRun.of("data", "fetch", "imagenet", "--dir", dir.toString()).badInputLine()
                .contains("data fetch knows mnist, cifar10, cifar100, not 'imagenet'"));
        assertTrue(CliRun.of("data", "fetch", "synth-digits", "--dir", dir.toString()).badInputLine().contains("generated, nothing to fetch"));
    }
}
