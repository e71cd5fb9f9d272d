import Testing
@testable import SwitchyardGateway

@Suite struct PrometheusTextTests {
    func rendered(_ build: (inout PrometheusText) -> Void) -> String {
        var text = PrometheusText()
        build(&text)
        return String(decoding: text.bytes, as: UTF8.self)
    }

    @Test func familyHasHelpAndTypeWithHelpEscaped() {
        let out = rendered { $0.family("x_total", .counter, help: "a \\ b\nc") }
        #expect(out == "# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\n")
    }

    @Test func labelValuesEscapeBackslashQuoteAndLineFeed() {
        let out = rendered { $0.sample("x_total", [("model", "a\\b\"c\nd"), ("status", "200")], UInt64(3)) }
        #expect(out == "x_total{model=\"a\\\\b\\\"c\\nd\",status=\"200\"} 3\n")
    }

    @Test func sampleWithoutLabelsHasNoBraces() {
        #expect(rendered { $0.sample("g", [], UInt64(0)) } == "g 0\n")
    }

    @Test func histogramBucketsAreCumulativeEndingInInfThenSumAndCount() {
        let out = rendered { $0.histogram("h", [("r", "a")], bounds: [0.1, 1, 10], counts: [1, 0, 2, 1], sum: 2.5) }
        #expect(out == """
            h_bucket{r="a",le="0.1"} 1
            h_bucket{r="a",le="1"} 1
            h_bucket{r="a",le="10"} 3
            h_bucket{r="a",le="+Inf"} 4
            h_sum{r="a"} 2.5
            h_count{r="a"} 4

            """)
    }

    @Test func realValuesUseTheFormatsSpelling() {
        #expect(PrometheusText.format(0.005) == "0.005")
        #expect(PrometheusText.format(120) == "120")
        #expect(PrometheusText.format(.infinity) == "+Inf")
        #expect(PrometheusText.format(-.infinity) == "-Inf")
        #expect(PrometheusText.format(.nan) == "NaN")
    }
}
