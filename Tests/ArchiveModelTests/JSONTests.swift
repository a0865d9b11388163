import ArchiveModel
import Testing

struct JSONTests {
    @Test func canonicalFormSortsKeysAndEscapesMinimally() throws {
        let value = try JSONParser.parse(#"{ "b": [1, -2, true, null], "a": "x\"\\\n\t\u0001é朝/" }"#)
        let text = String(decoding: value.canonicalBytes, as: UTF8.self)
        #expect(text == #"{"a":"x\"\\\n\t\u0001é朝/","b":[1,-2,true,null]}"#)
    }

    @Test func surrogatePairsDecode() throws {
        let value = try JSONParser.parse(#""\ud83d\ude00""#)
        #expect(value.stringValue == "😀")
    }

    @Test(arguments: [
        #"{"a":1,"a":2}"#, "1.5", "1e3", "01", #""\ud800""#, #"{"a":1"#, "[1,]", "\"tab\tinside\"", "nul", "",
        #"{"a":1} x"#, "99999999999999999999",
    ])
    func refusesWhatTheProtocolDoesNotAllow(_ text: String) {
        #expect(throws: ArchiveModelError.self) { try JSONParser.parse(text) }
    }

    @Test func refusesInvalidUTF8InStrings() {
        #expect(throws: ArchiveModelError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: ArchiveModelError.self) { try JSONParser.parse(deep) }
    }
}
