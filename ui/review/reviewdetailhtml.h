#pragma once
// Renders one flagged item's detail (FlaggedDetail) as rich text for the review panel's detail
// pane: the content as submitted (Layer A matches highlighted) and as it is now, Layer B scores
// and reasoning, the agent and its history, the item's audit trail. Pure functions; any thread.

#include "server/moderation/flaggeditem.h"

#include <QCoreApplication>
#include <QList>
#include <QPair>
#include <QString>

namespace bw::ui {

class ReviewDetailHtml final {
    Q_DECLARE_TR_FUNCTIONS(bw::ui::ReviewDetailHtml)
public:
    static QString render(const moderation::FlaggedDetail &detail);
    // text, HTML-escaped, with every case-insensitive occurrence of a needle wrapped in <mark>.
    static QString highlight(const QString &text, const QStringList &needles);
    // The Layer A match texts of an evaluation (evaluation.layerAResult.matches[].text).
    static QStringList matchTexts(const QJsonObject &evaluation);
};

} // namespace bw::ui
