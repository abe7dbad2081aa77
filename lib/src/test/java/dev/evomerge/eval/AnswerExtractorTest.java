package dev.evomerge.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnswerExtractorTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NONE", textBlock = """
            The answer is 18.                         | 18
            答えは18です。                              | 18
            She pays 1,000 dollars.                   | 1000
            合計は1,000円です                           | 1000
            合計は１２個です                              | 12
            全部で１，２３４円                             | 1234
            The result is -5                          | -5
            気温は−3度                                  | -3
            5-3 = 2                                   | 2
            It costs 2.50 dollars                     | 2.50
            3 apples, 4 pears, so 7 fruits in all     | 7
            the list 1,2,3                            | 3
            a 12,3456 typo                            | 3456
            no numbers here                           | NONE
            ''                                        | NONE
            First 10, then 20. Finally 30.            | 30
            """)
    void extractsTheLastNumberAsAPersonReadsIt(String response, String expected) {
        Optional<BigDecimal> got = AnswerExtractor.lastNumber(response);
        assertEquals(expected == null ? Optional.empty() : Optional.of(new BigDecimal(expected)), got);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            答えは18です。 | 18    | true
            答えは18.0です | 18    | true
            答えは1,800です | 18   | false
            It is 2125.   | 2125  | true
            """)
    void correctMeansNumericallyEqual(String response, String reference, boolean correct) {
        assertEquals(correct, AnswerExtractor.isCorrect(response, new BigDecimal(reference)));
    }
}
