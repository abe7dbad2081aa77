package dev.evomerge.world;

import java.util.SplittableRandom;

/**
 * One arithmetic word problem of the mini world, before it is worded: a person, a thing, two
 * numbers and an operation, and the template that words it. The same problem reads in English
 * (the "EN math" skill: a worked answer ending "The answer is N.") and in Japanese (the target
 * task, mini-MGSM-ja: the worked answer must be Japanese, ending 答えはNです。).
 */
record WordProblem(String enName, String jaName, Lexicon.Thing thing, int a, int b, Operation op, int template) {

    enum Operation { ADD, SUBTRACT, MULTIPLY }

    static final int TEMPLATES = 2;

    /** A random problem: sums and differences of 2..20 (never negative), products of 2..9. */
    static WordProblem random(SplittableRandom rnd) {
        Operation op = Operation.values()[rnd.nextInt(3)];
        int a;
        int b;
        if (op == Operation.MULTIPLY) {
            a = 2 + rnd.nextInt(8);
            b = 2 + rnd.nextInt(8);
        } else {
            a = 2 + rnd.nextInt(19);
            b = 2 + rnd.nextInt(19);
            if (op == Operation.SUBTRACT && b > a) {
                int t = a;
                a = b;
                b = t;
            }
        }
        return new WordProblem(Lexicon.pick(Lexicon.EN_NAMES, rnd), Lexicon.pick(Lexicon.JA_NAMES, rnd),
                Lexicon.pick(Lexicon.THINGS, rnd), a, b, op, rnd.nextInt(TEMPLATES));
    }

    int answer() {
        return switch (op) {
            case ADD -> a + b;
            case SUBTRACT -> a - b;
            case MULTIPLY -> a * b;
        };
    }

    private String symbol() {
        return switch (op) {
            case ADD -> "+";
            case SUBTRACT -> "-";
            case MULTIPLY -> "x";
        };
    }

    /** The calculation as both languages write it: "3 + 5 = 8". */
    String equation() {
        return a + " " + symbol() + " " + b + " = " + answer();
    }

    String enQuestion() {
        String n = enName;
        String things = thing.enPlural();
        return switch (op) {
            case ADD -> template == 0 ? n + " has " + a + " " + things + ". " + n + " gets " + b + " more. How many " + things
                    + " does " + n + " have now?"
                    : "There are " + a + " " + things + " in a box. " + n + " puts in " + b + " more. How many " + things
                    + " are in the box?";
            case SUBTRACT -> template == 0 ? n + " has " + a + " " + things + ". " + n + " gives away " + b + ". How many "
                    + things + " does " + n + " have left?"
                    : "There are " + a + " " + things + " on the table. " + n + " takes " + b + ". How many " + things
                    + " are left on the table?";
            case MULTIPLY -> template == 0 ? n + " has " + a + " bags with " + b + " " + things + " in each bag. How many "
                    + things + " does " + n + " have?"
                    : n + " buys " + b + " " + things + " every day for " + a + " days. How many " + things + " does " + n
                    + " buy?";
        };
    }

    /** The English worked answer: the calculation, then "The answer is N." */
    String enAnswer() {
        return equation() + ". The answer is " + answer() + ".";
    }

    /**
     * The problem told as a worked story, no question: its statements, the calculation, the
     * result. Pre-training text: the base learns what the verbs of both languages do to a count
     * without ever seeing a question answered.
     */
    String enStory() {
        String q = enQuestion();
        return q.substring(0, q.indexOf(" How many ")) + " " + equation() + ". That makes " + answer() + " "
                + thing.enPlural() + ".";
    }

    /** The Japanese problem as a worked story: its statements (the question cut off), the calculation, the result. */
    String jaStory() {
        return MiniWorldData.statements(jaQuestion()) + equation() + "。" + thing.ja() + "は" + answer() + thing.counter() + "になります。";
    }

    String jaQuestion() {
        String n = jaName;
        String t = thing.ja();
        String c = thing.counter();
        return switch (op) {
            case ADD -> template == 0 ? n + "は" + t + "を" + a + c + "持っています。" + b + c + "もらいました。" + t + "は全部で何" + c
                    + "ですか？"
                    : "はこに" + t + "が" + a + c + "あります。" + n + "が" + b + c + "入れました。はこの" + t + "は何" + c + "ですか？";
            case SUBTRACT -> template == 0 ? n + "は" + t + "を" + a + c + "持っています。" + b + c + "あげました。" + t + "は何" + c
                    + "のこっていますか？"
                    : "テーブルに" + t + "が" + a + c + "あります。" + n + "が" + b + c + "とりました。" + t + "は何" + c
                    + "のこっていますか？";
            case MULTIPLY -> template == 0 ? n + "はふくろを" + a + "つ持っています。ふくろには" + t + "が" + b + c + "ずつ入っています。"
                    + t + "は全部で何" + c + "ですか？"
                    : n + "は毎日" + t + "を" + b + c + "買います。" + a + "日間買いました。" + t + "は全部で何" + c + "ですか？";
        };
    }

    /** The Japanese worked answer: the calculation, then 答えはNです。 */
    String jaAnswer() {
        return equation() + "。答えは" + answer() + "です。";
    }
}
