package io.sparsestep.data.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One file from one URL into a {@code .part} file, resumable: bytes already on disk are asked
 * for no more ({@code Range: bytes=N-}); a server that answers the whole file (200) is taken
 * from the start; a connection that drops mid-body is taken up again where it broke, up to
 * {@code attempts} times. Whether the bytes are right is not this class's business (the MD5
 * is checked by {@link Fetcher}).
 */
final class Download {
    static final int CONNECT_TIMEOUT_MS = 30_000;
    /** A body that stalls this long counts as a dropped connection. */
    static final int READ_TIMEOUT_MS = 60_000;
    /** {@link #READ_TIMEOUT_MS}, shorter in the test of a stalled server. */
    static volatile int readTimeoutMs = READ_TIMEOUT_MS;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    /** The host could not be reached at all (offline, DNS, refused): try the next mirror. */
    static final class Unreachable extends IOException {
        Unreachable(String message, Throwable cause) { super(message, cause); }
    }

    /** The server answered, but not with the file (404, 403, 5xx after the retries). */
    static final class Refused extends IOException {
        Refused(String message) { super(message); }
    }

    private Download() {}

    /** Downloads {@code url} into {@code part} until it holds {@code expected} bytes. */
    static void into(URI url, Path part, long expected, int attempts, FetchProgress progress) throws IOException {
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (have > expected) {
            Files.delete(part);
            have = 0;
        }
        IOException last = null;
        for (int attempt = 1; attempt <= attempts && have < expected; attempt++) {
            HttpURLConnection c;
            int code;
            try {
                c = (HttpURLConnection) url.toURL().openConnection();
                c.setConnectTimeout(CONNECT_TIMEOUT_MS);
                c.setReadTimeout(readTimeoutMs);
                c.setInstanceFollowRedirects(true);
                c.setRequestProperty("User-Agent", "sparsestep-data-fetch");
                if (have > 0) c.setRequestProperty("Range", "bytes=" + have + "-");
                code = c.getResponseCode();
            } catch (UnknownHostException | ConnectException | NoRouteToHostException e) {
                throw new Unreachable(url + ": " + describe(e), e);
            } catch (SocketTimeoutException e) {
                throw new Unreachable(url + ": no answer (timed out)", e);
            }
            boolean append;
            if (code == HttpURLConnection.HTTP_PARTIAL) {
                long start = rangeStart(c.getHeaderField("Content-Range"));
                append = start == have;
                if (!append) {
                    // a range we did not ask for: take the file from the start instead
                    c.disconnect();
                    Files.deleteIfExists(part);
                    have = 0;
                    progress.line("  " + url + " answered another range; downloading from the start");
                    continue;
                }
            } else if (code == HttpURLConnection.HTTP_OK) {
                append = false;
                if (have > 0) progress.line("  " + url + " does not resume downloads; downloading from the start");
                have = 0;
            } else if (code == 416 && have == expected) {
                c.disconnect();
                break;
            } else {
                c.disconnect();
                if (code >= 500 && attempt < attempts) {
                    last = new Refused(url + ": HTTP " + code);
                    continue;
                }
                throw new Refused(url + ": HTTP " + code + (code == 404 ? " (not found)" : ""));
            }
            progress.start(part.getFileName().toString().replace(".part", ""), expected, have);
            try (InputStream in = c.getInputStream();
                 OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    have += n;
                    progress.advance(n);
                    if (have > expected) break;
                }
            } catch (IOException e) {
                last = e;
                have = Files.isRegularFile(part) ? Files.size(part) : 0;
                progress.finish();
                progress.line(String.format(Locale.ROOT, "  connection dropped after %,d of %,d bytes (%s); resuming (attempt %d of %d)",
                        have, expected, describe(e), attempt + 1, attempts));
                continue;
            } finally {
                c.disconnect();
            }
            progress.finish();
            if (have < expected) {
                progress.line(String.format(Locale.ROOT, "  connection dropped after %,d of %,d bytes (the body ended early); resuming (attempt %d of %d)",
                        have, expected, attempt + 1, attempts));
            }
        }
        if (have != expected) {
            String why = last == null ? "" : " (" + describe(last) + ")";
            throw new IOException(String.format(Locale.ROOT, "%s: %,d of %,d bytes after %d attempts%s", url, have, expected, attempts, why), last);
        }
    }

    static long rangeStart(String contentRange) {
        if (contentRange == null) return -1;
        Matcher m = CONTENT_RANGE.matcher(contentRange.trim());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
