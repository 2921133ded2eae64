#include "ui/review/reviewdetailhtml.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>

#include <algorithm>

namespace bw::ui {

namespace {

const QString kMark = QStringLiteral("<span style=\"background-color:#ffe082; color:#000;\">");

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

QString valueText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isDouble())
        return QLocale().toString(v.toDouble(), 'g', 4);
    if (v.isBool())
        return v.toBool() ? ReviewDetailHtml::tr("yes") : ReviewDetailHtml::tr("no");
    if (v.isNull() || v.isUndefined())
        return QString();
    return QString::fromUtf8(
        QJsonDocument(v.isArray() ? QJsonDocument(v.toArray()) : QJsonDocument(v.toObject())).toJson(QJsonDocument::Compact));
}

// The textual fields of a content object, most important first.
QList<QPair<QString, QString>> contentFields(const QJsonValue &content)
{
    QList<QPair<QString, QString>> out;
    const QJsonObject o = content.toObject();
    static const QStringList first = {"title", "description", "content", "summary", "approach", "instructions"};
    for (const QString &key : first)
        if (o.value(key).isString())
            out << qMakePair(key, o.value(key).toString());
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!first.contains(it.key()) && (it.value().isString() || it.value().isDouble() || it.value().isBool()))
            out << qMakePair(it.key(), valueText(it.value()));
    return out;
}

QString section(const QString &title)
{
    return QStringLiteral("<h3 style=\"margin-top:14px\">%1</h3>").arg(esc(title));
}

} // namespace

QStringList ReviewDetailHtml::matchTexts(const QJsonObject &evaluation)
{
    QStringList out;
    const QJsonArray matches =
        evaluation.value(QStringLiteral("layerAResult")).toObject().value(QStringLiteral("matches")).toArray();
    for (const QJsonValue &m : matches) {
        const QString text = m.toObject().value(QStringLiteral("text")).toString().trimmed();
        if (!text.isEmpty())
            out << text;
    }
    return out;
}

QString ReviewDetailHtml::highlight(const QString &text, const QStringList &needles)
{
    // Mark ranges first (overlaps merged), then escape piecewise so markup never splits an entity.
    QList<QPair<qsizetype, qsizetype>> ranges;
    for (const QString &needle : needles) {
        if (needle.isEmpty())
            continue;
        for (qsizetype at = text.indexOf(needle, 0, Qt::CaseInsensitive); at >= 0;
             at = text.indexOf(needle, at + needle.size(), Qt::CaseInsensitive))
            ranges << qMakePair(at, at + needle.size());
    }
    std::sort(ranges.begin(), ranges.end());
    QString out;
    qsizetype pos = 0;
    for (qsizetype i = 0; i < ranges.size(); ++i) {
        qsizetype start = std::max(ranges[i].first, pos);
        qsizetype end = ranges[i].second;
        while (i + 1 < ranges.size() && ranges[i + 1].first <= end)
            end = std::max(end, ranges[++i].second);
        if (end <= start)
            continue;
        out += esc(text.mid(pos, start - pos)) + kMark + esc(text.mid(start, end - start)) + QStringLiteral("</span>");
        pos = end;
    }
    out += esc(text.mid(pos));
    return out;
}

QString ReviewDetailHtml::render(const moderation::FlaggedDetail &detail)
{
    const auto &item = detail.item;
    const QStringList needles = matchTexts(detail.evaluation);
    QString h;
    h += QStringLiteral("<h2>%1</h2>").arg(esc(item.title.isEmpty() ? tr("(untitled)") : item.title));
    h += QStringLiteral("<p>%1</p>")
             .arg(esc(tr("%1 by %2 · trust tier %3 · domain %4 · flagged %5")
                          .arg(item.contentType, item.agentUsername.isEmpty() ? item.agentId : item.agentUsername,
                               item.trustTier.isEmpty() ? tr("unknown") : item.trustTier,
                               item.domain.isEmpty() ? tr("none") : item.domain,
                               QLocale().toString(item.createdAt.toLocalTime(), QLocale::ShortFormat))));

    // Layer A: the forbidden-pattern matches.
    h += section(tr("Layer A: pattern matches"));
    const QJsonArray matches =
        detail.evaluation.value(QStringLiteral("layerAResult")).toObject().value(QStringLiteral("matches")).toArray();
    if (matches.isEmpty()) {
        h += QStringLiteral("<p>%1</p>").arg(esc(tr("No pattern matched.")));
    } else {
        h += QStringLiteral("<ul>");
        for (const QJsonValue &m : matches) {
            const QJsonObject o = m.toObject();
            h += QStringLiteral("<li><b>%1</b> (%2): %3%4</span></li>")
                     .arg(esc(o.value(QStringLiteral("pattern")).toString()), esc(o.value(QStringLiteral("severity")).toString()),
                          kMark, esc(o.value(QStringLiteral("text")).toString()));
        }
        h += QStringLiteral("</ul>");
    }

    // The content as the guardrails saw it, matches highlighted.
    h += section(tr("As submitted"));
    const auto submitted = contentFields(detail.submittedContent);
    for (const auto &[key, text] : submitted)
        h += QStringLiteral("<p><b>%1:</b> %2</p>").arg(esc(key), highlight(text, needles));
    if (submitted.isEmpty())
        h += QStringLiteral("<p>%1</p>").arg(esc(tr("The submitted content was not recorded.")));

    // The content row now (the agent may have edited it since).
    h += section(tr("As it is now"));
    if (detail.liveContent.isNull()) {
        h += QStringLiteral("<p>%1</p>").arg(esc(tr("The content no longer exists.")));
    } else {
        const QJsonObject live = detail.liveContent.toObject();
        const QJsonObject before = detail.submittedContent.toObject();
        h += QStringLiteral("<p>%1</p>")
                 .arg(esc(tr("Guardrail status: %1").arg(live.value(QStringLiteral("guardrailStatus")).toString())));
        for (const QString &key : {QStringLiteral("title"), QStringLiteral("description"), QStringLiteral("content")}) {
            if (!live.value(key).isString())
                continue;
            const QString now = live.value(key).toString();
            const bool changed = before.contains(key) && before.value(key).toString() != now;
            h += QStringLiteral("<p><b>%1:</b> %2%3</p>")
                     .arg(esc(key), highlight(now, needles),
                          changed ? QStringLiteral(" <i>(%1)</i>").arg(esc(tr("changed since submission"))) : QString());
        }
    }

    // Layer B: the classifier's scores and reasoning.
    h += section(tr("Layer B: classifier"));
    const QJsonObject layerB = detail.evaluation.value(QStringLiteral("layerBResult")).toObject();
    if (layerB.isEmpty()) {
        h += QStringLiteral("<p>%1</p>").arg(esc(tr("No classifier result.")));
    } else {
        h += QStringLiteral("<table cellpadding=\"2\">");
        for (auto it = layerB.begin(); it != layerB.end(); ++it) {
            if (it.key() == u"reasoning")
                continue;
            if (it.value().isObject()) {
                const QJsonObject inner = it.value().toObject();
                for (auto jt = inner.begin(); jt != inner.end(); ++jt)
                    h += QStringLiteral("<tr><td>%1.%2</td><td><b>%3</b></td></tr>")
                             .arg(esc(it.key()), esc(jt.key()), esc(valueText(jt.value())));
            } else {
                h += QStringLiteral("<tr><td>%1</td><td><b>%2</b></td></tr>").arg(esc(it.key()), esc(valueText(it.value())));
            }
        }
        h += QStringLiteral("</table>");
        const QString reasoning = layerB.value(QStringLiteral("reasoning")).toString();
        if (!reasoning.isEmpty())
            h += QStringLiteral("<p><b>%1</b> %2</p>").arg(esc(tr("Reasoning:")), esc(reasoning));
    }
    if (const QString provider = detail.evaluation.value(QStringLiteral("provider")).toString(); !provider.isEmpty())
        h += QStringLiteral("<p>%1</p>").arg(esc(tr("Provider: %1").arg(provider)));

    // The agent's record.
    h += section(tr("Agent history"));
    const QJsonObject evals = detail.agentHistory.value(QStringLiteral("evaluations")).toObject();
    const QJsonObject reviews = detail.agentHistory.value(QStringLiteral("reviews")).toObject();
    h += QStringLiteral("<p>%1</p>")
             .arg(esc(tr("Evaluations: %1 approved, %2 flagged, %3 rejected, %4 pending (%5 total)")
                          .arg(evals.value(QStringLiteral("approved")).toInt())
                          .arg(evals.value(QStringLiteral("flagged")).toInt())
                          .arg(evals.value(QStringLiteral("rejected")).toInt())
                          .arg(evals.value(QStringLiteral("pending")).toInt())
                          .arg(evals.value(QStringLiteral("total")).toInt())));
    h += QStringLiteral("<p>%1</p>")
             .arg(esc(tr("Human reviews: %1 approved, %2 rejected, %3 waiting")
                          .arg(reviews.value(QStringLiteral("approved")).toInt())
                          .arg(reviews.value(QStringLiteral("rejected")).toInt())
                          .arg(reviews.value(QStringLiteral("pendingReview")).toInt())));

    // What happened to this item so far.
    const QJsonArray trail = detail.auditTrail.toArray();
    if (!trail.isEmpty()) {
        h += section(tr("Audit trail"));
        h += QStringLiteral("<ul>");
        for (const QJsonValue &row : trail) {
            const QJsonObject o = row.toObject();
            const QString who = o.value(QStringLiteral("actorEmail")).toString();
            h += QStringLiteral("<li>%1 · %2 · %3</li>")
                     .arg(esc(o.value(QStringLiteral("at")).toString()), esc(o.value(QStringLiteral("action")).toString()),
                          esc(who.isEmpty() ? o.value(QStringLiteral("actorType")).toString() : who));
        }
        h += QStringLiteral("</ul>");
    }
    return h;
}

} // namespace bw::ui
