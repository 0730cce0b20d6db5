import APIServerSemantics
import Testing

@Suite("Go encoding/json syntax errors", .timeLimit(.minutes(1)))
struct GoJSONSyntaxTests {
    @Test(arguments: [
        ("{not json", "invalid character 'n' looking for beginning of object key string"),
        ("x", "invalid character 'x' looking for beginning of value"),
        (#"{"a" 1}"#, "invalid character '1' after object key"),
        (#"{"a":1 "b":2}"#, "invalid character '\"' after object key:value pair"),
        ("[1 2]", "invalid character '2' after array element"),
        ("{} x", "invalid character 'x' after top-level value"),
        ("\"a\u{01}\"", #"invalid character '\x01' in string literal"#),
        (#""\q""#, "invalid character 'q' in string escape code"),
        (#""\u12g4""#, #"invalid character 'g' in \u hexadecimal character escape"#),
        ("-x", "invalid character 'x' in numeric literal"),
        ("1.x", "invalid character 'x' after decimal point in numeric literal"),
        ("1ex", "invalid character 'x' in exponent of numeric literal"),
        ("tru", "unexpected end of JSON input"),
        ("trux", "invalid character 'x' in literal true (expecting 'e')"),
        ("nul1", "invalid character '1' in literal null (expecting 'l')"),
        ("{\"a\":\n}", "invalid character '}' looking for beginning of value"),
        ("['a']", #"invalid character '\'' looking for beginning of value"#),
        ("{\"a\":1", "unexpected end of JSON input"),
        ("", "unexpected end of JSON input"),
    ])
    func kubesMessage(body: String, message: String) {
        #expect(GoJSONSyntax.error(in: Array(body.utf8)) == message)
    }

    @Test func validJSONHasNoError() {
        for body in [#"{"a":[1,-2.5e+3,true,false,null,"x\n\u00e9"],"b":{}}"#, " 12 ", "[]", #""s""#, "0"] {
            #expect(GoJSONSyntax.error(in: Array(body.utf8)) == nil, "\(body)")
        }
    }
}
