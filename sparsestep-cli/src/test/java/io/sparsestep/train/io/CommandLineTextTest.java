package io.sparsestep.train.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CommandLineTextTest {
    @Test
    void plainWordsStayAsTyped() {
        assertEquals("sparsestep train --model wrn28-10 --lr 0.1 --milestones 80,120 --out runs/a_b@1:2+3=4%",
                CommandLineText.of("sparsestep", List.of("train", "--model", "wrn28-10", "--lr", "0.1", "--milestones", "80,120",
                        "--out", "runs/a_b@1:2+3=4%")));
    }

    /** What a shell reads back from the text is the words that went in. */
    @Test
    void otherWordsAreQuotedSoTheShellReadsThemBack() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash");
        List<String> words = List.of("--out", "my runs/it's", "", "$HOME", "a\"b", "*", "tab\there", "new\nline", "~", "semi;colon");
        List<String> args = new ArrayList<>();
        args.add("%s\\0"); // printf's format: each word, then a NUL
        args.addAll(words);
        String text = CommandLineText.of("printf", args);
        Process p = new ProcessBuilder("/bin/bash", "-c", text).start();
        byte[] out = p.getInputStream().readAllBytes();
        p.waitFor(30, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), text);
        String[] back = new String(out, StandardCharsets.UTF_8).split("\0", -1);
        assertEquals(words, List.of(back).subList(0, back.length - 1), text);
    }
}
