"""Article text shared by the rule tests: three paragraphs of plain news prose, written for them."""

ARTICLE_BODY = "".join(
    f"<p>{text}</p>"
    for text in (
        "The harbour board agreed on Monday to repair the north quay wall before the winter storms, after"
        " divers found cracks running along a third of its length during the summer survey.",
        "Fishing boats will moor at the south quay while the work goes on, which the board expects to take"
        " about eleven weeks if the weather allows the divers to work on most days.",
        "The repair will cost less than rebuilding the wall, the board's engineer said, and should last for"
        " at least another forty years if the quay is inspected every spring.",
    )
)
