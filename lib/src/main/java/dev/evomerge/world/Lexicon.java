package dev.evomerge.world;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The words the mini world's texts are made of: people, things (with their Japanese counters),
 * places and colours, in English and Japanese. Enough of each that the number of distinct
 * problems (names x things x numbers x operations x templates) is far beyond any split drawn, so
 * a model can only answer a held-out problem by the skill, not by having seen it.
 */
final class Lexicon {
    private Lexicon() {
    }

    static final List<String> EN_NAMES = List.of("Tom", "Anna", "Ben", "Lily", "Sam", "Mia", "Jack", "Emma", "Leo", "Zoe",
            "Max", "Ruby", "Noah", "Ella", "Owen", "Lucy", "Finn", "Grace", "Hugo", "Ivy", "Luke", "Nora", "Adam", "Rose");

    static final List<String> JA_NAMES = List.of("たろう", "はなこ", "けんた", "さくら", "ゆうき", "みさき", "しょうた", "あおい",
            "だいち", "ひなた", "れん", "ゆい", "そうた", "めい", "はると", "こはる", "りく", "あかり", "かいと", "ほのか",
            "ゆうと", "まなみ", "こうじ", "ちひろ");

    /** A countable thing: English singular and plural, Japanese noun and its counter. */
    record Thing(String en, String enPlural, String ja, String counter) {
    }

    static final List<Thing> THINGS = List.of(
            new Thing("apple", "apples", "りんご", "個"), new Thing("orange", "oranges", "みかん", "個"),
            new Thing("egg", "eggs", "たまご", "個"), new Thing("ball", "balls", "ボール", "個"),
            new Thing("cookie", "cookies", "クッキー", "枚"), new Thing("card", "cards", "カード", "枚"),
            new Thing("stamp", "stamps", "きって", "枚"), new Thing("sticker", "stickers", "シール", "枚"),
            new Thing("pencil", "pencils", "えんぴつ", "本"), new Thing("flower", "flowers", "花", "本"),
            new Thing("bottle", "bottles", "ボトル", "本"), new Thing("book", "books", "本", "冊"),
            new Thing("notebook", "notebooks", "ノート", "冊"), new Thing("cat", "cats", "ねこ", "匹"),
            new Thing("fish", "fish", "さかな", "匹"), new Thing("dog", "dogs", "いぬ", "匹"),
            new Thing("bird", "birds", "とり", "羽"), new Thing("car", "cars", "車", "台"),
            new Thing("bike", "bikes", "じてんしゃ", "台"), new Thing("shirt", "shirts", "シャツ", "枚"));

    /** A place: English with its preposition, Japanese. */
    record Place(String en, String ja) {
    }

    static final List<Place> PLACES = List.of(new Place("at the park", "公園"), new Place("at school", "学校"),
            new Place("at the station", "駅"), new Place("in the library", "図書館"), new Place("at the beach", "うみ"),
            new Place("in the garden", "にわ"), new Place("at the shop", "店"), new Place("at home", "家"),
            new Place("in the kitchen", "台所"), new Place("at the zoo", "どうぶつえん"));

    /** A colour: English, and Japanese as the adjective and as the noun an answer names. */
    record Colour(String en, String jaAdjective, String jaNoun) {
    }

    static final List<Colour> COLOURS = List.of(new Colour("red", "赤い", "赤"), new Colour("blue", "青い", "青"),
            new Colour("white", "白い", "白"), new Colour("black", "黒い", "黒"), new Colour("yellow", "黄色い", "黄色"),
            new Colour("green", "緑の", "緑"));

    static <T> T pick(List<T> list, SplittableRandom rnd) {
        return list.get(rnd.nextInt(list.size()));
    }
}
