#include "textnormaliser.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

namespace bw::guardrails {

namespace {

// Lower-case Cyrillic and Greek letters that look like Latin ones (after case folding).
char32_t lookalike(char32_t c)
{
    switch (c) {
    case 0x0430:
    case 0x03B1:
        return U'a';
    case 0x0432:
    case 0x03B2:
        return U'b';
    case 0x0441:
    case 0x03F2:
        return U'c';
    case 0x0501:
        return U'd';
    case 0x0435:
    case 0x0454:
    case 0x03B5:
        return U'e';
    case 0x04BB:
        return U'h';
    case 0x0456:
    case 0x03B9:
    case 0x0131:
        return U'i';
    case 0x0458:
    case 0x03F3:
        return U'j';
    case 0x043A:
    case 0x03BA:
        return U'k';
    case 0x04CF:
        return U'l';
    case 0x043C:
        return U'm';
    case 0x043F:
    case 0x03B7:
        return U'n';
    case 0x043E:
    case 0x03BF:
        return U'o';
    case 0x0440:
    case 0x03C1:
        return U'p';
    case 0x051B:
        return U'q';
    case 0x0455:
        return U's';
    case 0x0442:
    case 0x03C4:
        return U't';
    case 0x03C5:
        return U'u';
    case 0x03BD:
    case 0x0475:
        return U'v';
    case 0x051D:
    case 0x03C9:
        return U'w';
    case 0x0445:
    case 0x03C7:
        return U'x';
    case 0x0443:
    case 0x03B3:
        return U'y';
    default:
        return 0;
    }
}

char32_t leet(char32_t c)
{
    switch (c) {
    case U'0':
        return U'o';
    case U'1':
        return U'i';
    case U'3':
        return U'e';
    case U'4':
        return U'a';
    case U'5':
        return U's';
    case U'7':
        return U't';
    case U'@':
        return U'a';
    case U'$':
        return U's';
    default:
        return 0;
    }
}

bool isLatinLetter(char32_t c)
{
    return (c >= U'a' && c <= U'z');
}
bool isTokenChar(char32_t c)
{
    return QChar::isLetterOrNumber(c) || c == U'@' || c == U'$';
}

// Maps look-alikes and leetspeak inside one token [begin, end). Look-alikes only when the token
// mixes them with Latin letters or consists of nothing else (real Cyrillic/Greek words keep their
// letters); digits only when the token has letters (plain numbers stay numbers).
void mapToken(QList<char32_t> &cps, qsizetype begin, qsizetype end)
{
    bool latin = false, letters = false, allLookalike = true;
    for (qsizetype i = begin; i < end; ++i) {
        const char32_t c = cps[i];
        if (isLatinLetter(c))
            latin = true;
        if (QChar::isLetter(c)) {
            letters = true;
            if (!isLatinLetter(c) && !lookalike(c))
                allLookalike = false;
        }
    }
    const bool mapLookalikes = latin || (letters && allLookalike);
    bool leetLetters = letters;
    if (!leetLetters) { // "$c@m": symbols count as letters for this decision
        for (qsizetype i = begin; i < end && !leetLetters; ++i)
            leetLetters = cps[i] == U'@' || cps[i] == U'$';
        leetLetters = leetLetters && end - begin > 1;
    }
    for (qsizetype i = begin; i < end; ++i) {
        char32_t &c = cps[i];
        if (mapLookalikes) {
            if (const char32_t l = lookalike(c))
                c = l;
        }
        if (leetLetters) {
            if (const char32_t l = leet(c))
                c = l;
        }
    }
}

const QRegularExpression &spacedLetters()
{
    // Three or more single characters split by one separator each: "s p y", "b-o-m-b", "s.c.a.m".
    static const QRegularExpression re(QStringLiteral("(?<!\\w)\\w(?:[ .\\-_*|/+~·]\\w(?!\\w)){2,}"),
                                       QRegularExpression::UseUnicodePropertiesOption);
    return re;
}

QString joinSpacedLetters(const QString &text)
{
    static const QRegularExpression separators(QStringLiteral("[ .\\-_*|/+~·]"));
    QString out;
    qsizetype last = 0;
    auto it = spacedLetters().globalMatch(text);
    if (!it.hasNext())
        return text;
    out.reserve(text.size());
    while (it.hasNext()) {
        const auto m = it.next();
        out += QStringView(text).mid(last, m.capturedStart() - last);
        out += m.captured().remove(separators);
        last = m.capturedEnd();
    }
    out += QStringView(text).mid(last);
    return out;
}

void appendStrings(const QJsonValue &v, const QString &path, bool withKeys, QString &out)
{
    switch (v.type()) {
    case QJsonValue::String:
        if (!out.isEmpty())
            out += u'\n';
        if (withKeys && !path.isEmpty())
            out += path + QStringLiteral(": ");
        out += v.toString();
        break;
    case QJsonValue::Array: {
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i)
            appendStrings(a.at(i), withKeys ? path + u'[' + QString::number(i) + u']' : QString(), withKeys, out);
        break;
    }
    case QJsonValue::Object: {
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            appendStrings(it.value(), withKeys ? (path.isEmpty() ? it.key() : path + u'.' + it.key()) : QString(), withKeys, out);
        break;
    }
    default:
        break;
    }
}

} // namespace

QString normaliseForMatching(const QString &text)
{
    // ASCII is invariant under every normalisation form: skip the three Unicode passes.
    bool ascii = true;
    for (const QChar c : text) {
        if (c.unicode() >= 0x80) {
            ascii = false;
            break;
        }
    }
    QString folded = ascii
                         ? text.toLower()
                         : text.normalized(QString::NormalizationForm_KC).toCaseFolded().normalized(QString::NormalizationForm_D);
    QList<char32_t> cps;
    cps.reserve(folded.size());
    for (const char32_t c : folded.toUcs4()) {
        const auto category = QChar::category(c);
        if (category == QChar::Other_Format || category == QChar::Mark_NonSpacing)
            continue; // zero-width characters, soft hyphens, BOM, bidi controls; diacritics
        if (category == QChar::Other_Control && c != U'\n')
            cps.append(U' ');
        else
            cps.append(c);
    }
    for (qsizetype i = 0; i < cps.size();) {
        if (!isTokenChar(cps[i])) {
            ++i;
            continue;
        }
        qsizetype end = i;
        while (end < cps.size() && isTokenChar(cps[end]))
            ++end;
        mapToken(cps, i, end);
        i = end;
    }

    QString mapped = QString::fromUcs4(cps.constData(), cps.size());
    if (!ascii)
        mapped = mapped.normalized(QString::NormalizationForm_C);
    mapped = joinSpacedLetters(mapped);

    // Whitespace: runs collapse to one space; line breaks (sentence boundaries for "A…B") stay.
    QString out;
    out.reserve(mapped.size());
    bool pendingSpace = false, pendingNewline = false;
    for (const QChar c : std::as_const(mapped)) {
        if (c == u'\n' || c == u'\r' || c == QChar::LineSeparator || c == QChar::ParagraphSeparator) {
            pendingNewline = true;
        } else if (c.isSpace()) {
            pendingSpace = true;
        } else {
            if (!out.isEmpty() && (pendingNewline || pendingSpace))
                out += pendingNewline ? u'\n' : u' ';
            pendingSpace = pendingNewline = false;
            out += c;
        }
    }
    return out;
}

QString normaliseForCache(const QString &text)
{
    static const QRegularExpression markdown(QStringLiteral("[*_~`#]"));
    QString s = text.toLower();
    s.remove(markdown);
    return s.simplified();
}

QString cacheKey(const QString &text, const QString &contentType)
{
    const QByteArray input = (normaliseForCache(text) + u'\n' + contentType).toUtf8();
    return QString::fromLatin1(QCryptographicHash::hash(input, QCryptographicHash::Sha256).toHex());
}

QString textOf(const QJsonValue &content)
{
    QString out;
    appendStrings(content, QString(), false, out);
    return out;
}

QString labelledTextOf(const QJsonValue &content)
{
    QString out;
    appendStrings(content, QString(), true, out);
    return out;
}

} // namespace bw::guardrails
