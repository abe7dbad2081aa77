package dev.evomerge.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.AtomicFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Learns a Llama-style byte-pair-encoding tokenizer from a corpus and writes it as the
 * {@code tokenizer.json} that Hugging Face's tokenizers (and so DJL and transformers) read: the
 * layout of Llama's and llama2.c's tokenizers (SentencePiece BPE converted): text normalized to
 * "▁" for spaces with one "▁" prepended, ids 0-2 for {@code <unk> <s> </s>}, 256 byte-fallback
 * tokens for any character the corpus lacks, then the corpus's characters, then the merges.
 *
 * <p>As SentencePiece does for Llama, merges never cross a word (a "▁" starts a new one) and
 * never take in a digit: numbers are spelled digit by digit, which is what lets a small model
 * learn arithmetic at all. Training is the classic Sennrich et al. loop: count adjacent pairs over
 * the distinct words weighted by frequency, merge the most frequent (ties broken by the pair's
 * text, so the result is the same on every machine), repeat.
 */
public final class BpeTrainer {
    public static final String SPACE = "\u2581"; // ▁
    public static final List<String> SPECIAL = List.of("<unk>", "<s>", "</s>");
    private static final ObjectMapper JSON = new ObjectMapper();

    private BpeTrainer() {
    }

    /** A trained vocabulary: token to id, and the merges in the order learned. */
    public record Bpe(Map<String, Integer> vocab, List<String[]> merges) {
    }

    /** Learns a vocabulary of at most {@code vocabSize} tokens from {@code corpus}. */
    public static Bpe train(List<String> corpus, int vocabSize) {
        return train(corpus, vocabSize, corpus.size());
    }

    /**
     * As {@link #train(List, int)}, the merges learned from an even sample of at most
     * {@code sample} texts (SentencePiece's input_sentence_size: a few thousand texts give the
     * frequent pairs all of them would), every character of the whole corpus in the vocabulary.
     */
    public static Bpe train(List<String> corpus, int vocabSize, int sample) {
        int every = Math.max(1, (corpus.size() + sample - 1) / sample);
        Map<String, Integer> wordCounts = new HashMap<>();
        Map<String, Long> charCounts = new TreeMap<>();
        for (int i = 0; i < corpus.size(); i++) {
            for (String word : words(corpus.get(i))) {
                if (i % every == 0) {
                    wordCounts.merge(word, 1, Integer::sum);
                }
                word.codePoints().forEach(cp -> charCounts.merge(new String(Character.toChars(cp)), 1L, Long::sum));
            }
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : SPECIAL) {
            vocab.put(s, vocab.size());
        }
        for (int b = 0; b < 256; b++) {
            vocab.put(String.format("<0x%02X>", b), vocab.size());
        }
        // The corpus's characters, most frequent first (ties by code point).
        List<Word> words = new ArrayList<>();
        for (var e : new TreeMap<>(wordCounts).entrySet()) {
            List<String> symbols = new ArrayList<>();
            e.getKey().codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
            words.add(new Word(symbols, e.getValue()));
        }
        charCounts.entrySet().stream()
                .sorted((a, b) -> a.getValue().equals(b.getValue()) ? a.getKey().compareTo(b.getKey())
                        : Long.compare(b.getValue(), a.getValue()))
                .forEach(e -> vocab.putIfAbsent(e.getKey(), vocab.size()));
        if (vocab.size() > vocabSize) {
            throw new IllegalArgumentException("vocab_size " + vocabSize + " is below the " + vocab.size()
                    + " tokens the corpus's characters and the byte fallback need");
        }
        List<String[]> merges = new ArrayList<>();
        while (vocab.size() < vocabSize) {
            String[] best = mostFrequentPair(words);
            if (best == null) {
                break; // every word is one token
            }
            String merged = best[0] + best[1];
            for (Word w : words) {
                w.merge(best[0], best[1], merged);
            }
            merges.add(best);
            vocab.putIfAbsent(merged, vocab.size());
        }
        return new Bpe(vocab, merges);
    }

    /** The text as the tokenizer's normalizer leaves it ("▁" prepended, spaces to "▁"), cut before each "▁". */
    static List<String> words(String text) {
        String normalized = SPACE + text.replace(" ", SPACE);
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 1; i < normalized.length(); i++) {
            if (normalized.charAt(i) == SPACE.charAt(0)) {
                out.add(normalized.substring(start, i));
                start = i;
            }
        }
        out.add(normalized.substring(start));
        return out;
    }

    private static String[] mostFrequentPair(List<Word> words) {
        Map<String, long[]> counts = new HashMap<>();
        Map<String, String[]> pairs = new HashMap<>();
        for (Word w : words) {
            for (int i = 0; i + 1 < w.symbols.size(); i++) {
                String a = w.symbols.get(i);
                String b = w.symbols.get(i + 1);
                if (hasDigit(a) || hasDigit(b)) {
                    continue;
                }
                String key = a + "\u0000" + b;
                counts.computeIfAbsent(key, k -> new long[1])[0] += w.count;
                pairs.putIfAbsent(key, new String[] {a, b});
            }
        }
        String bestKey = null;
        long bestCount = 0;
        for (var e : counts.entrySet()) {
            long c = e.getValue()[0];
            if (c > bestCount || (c == bestCount && e.getKey().compareTo(bestKey) < 0)) {
                bestKey = e.getKey();
                bestCount = c;
            }
        }
        return bestKey == null || bestCount < 2 ? null : pairs.get(bestKey);
    }

    private static boolean hasDigit(String s) {
        return s.chars().anyMatch(Character::isDigit);
    }

    /** A distinct word of the corpus, as its current symbols, and how often it occurs. */
    private static final class Word {
        private final List<String> symbols;
        private final int count;

        Word(List<String> symbols, int count) {
            this.symbols = symbols;
            this.count = count;
        }

        void merge(String a, String b, String merged) {
            for (int i = 0; i + 1 < symbols.size(); i++) {
                if (symbols.get(i).equals(a) && symbols.get(i + 1).equals(b)) {
                    symbols.set(i, merged);
                    symbols.remove(i + 1);
                }
            }
        }
    }

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} for {@code bpe} into {@code dir}. */
    public static void write(Path dir, Bpe bpe, int modelMaxLength) {
        ObjectNode t = JSON.createObjectNode();
        t.put("version", "1.0");
        t.putNull("truncation");
        t.putNull("padding");
        ArrayNode added = t.putArray("added_tokens");
        for (String s : SPECIAL) {
            added.addObject().put("id", bpe.vocab().get(s)).put("content", s).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        ObjectNode normalizer = t.putObject("normalizer").put("type", "Sequence");
        ArrayNode norms = normalizer.putArray("normalizers");
        norms.addObject().put("type", "Prepend").put("prepend", SPACE);
        ObjectNode replace = norms.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", SPACE);
        t.putNull("pre_tokenizer");
        // BOS first, as Llama's tokenizer.json does: Hugging Face adds it through this post-processor
        // (evomerge's Tokenizer encodes without special tokens and adds BOS itself, by add_bos_token).
        ObjectNode post = t.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>").put("id", "<s>");
        bos.putArray("ids").add(bpe.vocab().get("<s>"));
        bos.putArray("tokens").add("<s>");
        ObjectNode decoder = t.putObject("decoder").put("type", "Sequence");
        ArrayNode decoders = decoder.putArray("decoders");
        ObjectNode back = decoders.addObject().put("type", "Replace");
        back.putObject("pattern").put("String", SPACE);
        back.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode model = t.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.put("unk_token", "<unk>").putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true).put("byte_fallback", true).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        bpe.vocab().forEach(vocab::put);
        ArrayNode merges = model.putArray("merges");
        for (String[] m : bpe.merges()) {
            merges.add(m[0] + " " + m[1]);
        }
        ObjectNode config = JSON.createObjectNode();
        config.put("add_bos_token", true).put("add_eos_token", false).put("bos_token", "<s>").put("eos_token", "</s>")
                .put("unk_token", "<unk>").putNull("pad_token");
        config.put("legacy", true).put("clean_up_tokenization_spaces", false).put("tokenizer_class", "LlamaTokenizer")
                .put("model_max_length", modelMaxLength);
        try {
            AtomicFiles.writeString(dir.resolve("tokenizer.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(t) + "\n");
            AtomicFiles.writeString(dir.resolve("tokenizer_config.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
