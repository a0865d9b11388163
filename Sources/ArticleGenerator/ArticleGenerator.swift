import ArchiveModel

/// Makes realistic article files in the archive format, deterministically from a seed.
///
/// Article `index` is the same whatever else is generated, so two folders generated from one
/// seed with overlapping index ranges hold identical files where they overlap. Bodies are mostly
/// Chinese, some English; lengths spread like real articles (median about 3.6 KB, from 1.2 KB to
/// about 36 KB); about 60% carry Jekyll front matter; media, datelines and feed footers vary.
package struct ArticleGenerator: Sendable {
    package let seed: UInt64
    /// Capture time of article 0: 2024-01-01T00:00:00Z.
    package var baseTime: Int64 = 1_704_067_200_000

    package init(seed: UInt64) { self.seed = seed }

    /// The path (inside the archive folder) and content of article `index`.
    package func article(_ index: Int) -> (path: String, file: ArticleFile) {
        var random = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D ^ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        let english = random.chance(0.15)
        let number = 7_000_000 + index
        let capturedAt = baseTime + Int64(index) * 900_000 + Int64(random.next() % 600_000)
        let title = english ? englishTitle(&random) : chineseTitle(&random)
        let slug = (0..<Int.random(in: 3...6, using: &random)).map { _ in
            random.pick(Vocabulary.english).lowercased()
        }.joined(separator: "-")
        let day = Formatting.date(capturedAt)
        let url = "https://news.example.org/a/\(slug)-\(day.compact)/\(number).html"
        let html = body(english: english, capturedAt: capturedAt, &random)
        let source = random.pick(Vocabulary.sources)
        let withFrontMatter = random.chance(0.6)
        let file: ArticleFile
        if withFrontMatter {
            // The front matter's date has always been written to the second (`.000Z`); generated
            // files must stay byte for byte what they were.
            let date = ISODate.format(capturedAt / 1000 * 1000)
            let frontMatter = """
                ---
                layout: post
                title: "\(title)"
                date: \(date)
                author: \(source)
                from: \(url)
                tags: [ \(source) ]
                categories: [ \(source) ]
                ---

                """
            file = ArticleFile(
                frontMatter: frontMatter, capturedAt: capturedAt, title: title, url: url,
                body: "<div>\n" + html + "\n</div>\n")
        } else {
            file = ArticleFile(capturedAt: capturedAt, title: title, url: url, body: html + "\n")
        }
        return ("\(day.yearMonth)/news_\(number).txt", file)
    }

    /// A revised version of `file`: a sentence added to the body and, sometimes, a new title.
    package func revision(of file: ArticleFile, round: Int) -> ArticleFile {
        var random = SplitMix64(seed: seed ^ UInt64(round) &* 0xD6E8_FEB8_6659_FD93 ^ UInt64(file.capturedAt))
        var revised = file
        let sentence = "<p>" + chineseSentence(&random) + "（更新 \(round)）</p>"
        let closing = Array("</p>".utf8)
        var bytes = Array(revised.body.utf8)
        if let start = stride(from: bytes.count - closing.count, through: 0, by: -1).first(where: {
            bytes[$0..<($0 + closing.count)].elementsEqual(closing)
        }) {
            bytes.insert(contentsOf: Array(sentence.utf8), at: start + closing.count)
            revised.body = String(decoding: bytes, as: UTF8.self)
        } else {
            revised.body += sentence
        }
        if random.chance(0.3) { revised.title += "（更新）" }
        return revised
    }

    private func chineseTitle(_ random: inout SplitMix64) -> String {
        (0..<Int.random(in: 4...9, using: &random)).map { _ in random.pick(Vocabulary.chinese) }
            .joined()
    }

    private func englishTitle(_ random: inout SplitMix64) -> String {
        let words = (0..<Int.random(in: 5...10, using: &random)).map { _ in random.pick(Vocabulary.english) }
        return words.joined(separator: " ").prefix(1).uppercased() + words.joined(separator: " ").dropFirst()
    }

    private func chineseSentence(_ random: inout SplitMix64) -> String {
        var sentence = ""
        for index in 0..<Int.random(in: 6...16, using: &random) {
            if index > 0, random.chance(0.35) { sentence += random.pick(Vocabulary.chineseConnectors) }
            if random.chance(0.04) {
                sentence += random.pick(["COVID-19", "AI", "G20", "5G", "2024年"])
            } else {
                sentence += random.pick(Vocabulary.chinese)
            }
        }
        return sentence + "。"
    }

    private func englishSentence(_ random: inout SplitMix64) -> String {
        let words = (0..<Int.random(in: 8...22, using: &random)).map { _ in random.pick(Vocabulary.english) }
        let text = words.joined(separator: " ")
        return text.prefix(1).uppercased() + text.dropFirst() + "."
    }

    private func body(english: Bool, capturedAt: Int64, _ random: inout SplitMix64) -> String {
        // Log-normal length around 3.6 KB, clamped to the corpus's range.
        let gaussian = (0..<6).map { _ in Double.random(in: 0..<1, using: &random) }.reduce(0, +) - 3
        let target = min(36_000, max(1_200, Int(3_600 * exp(0.6 * gaussian * 1.41))))
        let dateline = Formatting.rfc1123(capturedAt - Int64(random.next() % 7_200_000))
        var html = "<div><i>\(dateline)</i></div>"
        let media = UInt64(random.next() % 10)
        let imageID = String(random.next() % 1_000_000_000, radix: 16)
        if media < 7 {
            html += "<img src=\"https://images.example.org/\(imageID)_w900.jpg\" width=\"100%\">"
            html +=
                "<div><small style=\"color: #999;\">\(english ? englishSentence(&random) : chineseSentence(&random))</small></div>"
        } else if media < 9 {
            html +=
                "<video poster=\"https://images.example.org/\(imageID)_tv.jpg\" src=\"https://video.example.org/\(imageID)_240p.mp4\" style=\"width:100%\" controls></video>"
        }
        while html.utf8.count < target {
            let sentences = (0..<Int.random(in: 2...6, using: &random)).map { _ in
                english ? englishSentence(&random) : chineseSentence(&random)
            }
            html += "<p>" + sentences.joined(separator: english ? " " : "") + "</p>"
        }
        if random.chance(0.2) {
            html +=
                "<br><hr><div>更多新闻：<br><a href=\"https://feeds.example.org\" target=\"_blank\">https://feeds.example.org</a><br></div>"
        }
        return html
    }
}

extension SplitMix64 {
    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }

    /// One element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}

private func exp(_ x: Double) -> Double {
    // e^x by squaring a short series: enough for lengths, and no Foundation needed.
    var result = 1.0
    var term = 1.0
    let scaled = x / 16
    for n in 1...12 {
        term *= scaled / Double(n)
        result += term
    }
    for _ in 0..<4 { result *= result }
    return result
}
