#include "localhttpserver.h"

#include <QElapsedTimer>
#include <QTcpServer>
#include <QTcpSocket>

namespace bw::test {

LocalHttpServer::LocalHttpServer() = default;

LocalHttpServer::~LocalHttpServer()
{
    quit();
    wait(5000);
}

bool LocalHttpServer::startServing()
{
    start();
    QElapsedTimer timer;
    timer.start();
    while (m_port.load() == 0 && !m_failed.load() && timer.elapsed() < 5000)
        QThread::msleep(5);
    return m_port.load() != 0;
}

QList<LocalHttpServer::Request> LocalHttpServer::requests() const
{
    QMutexLocker lock(&m_mutex);
    return m_requests;
}

void LocalHttpServer::run()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0)) {
        m_failed = true;
        return;
    }
    QObject::connect(&server, &QTcpServer::newConnection, &server, [this, &server] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
                QByteArray buffer = socket->property("buffer").toByteArray() + socket->readAll();
                socket->setProperty("buffer", buffer);
                const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
                if (headerEnd < 0)
                    return;
                const QByteArray head = buffer.left(headerEnd);
                qsizetype length = 0;
                for (const QByteArray &line : head.split('\n'))
                    if (line.toLower().startsWith("content-length:"))
                        length = line.mid(15).trimmed().toLongLong();
                if (buffer.size() < headerEnd + 4 + length)
                    return;
                const QList<QByteArray> first = head.left(head.indexOf("\r\n")).split(' ');
                {
                    QMutexLocker lock(&m_mutex);
                    m_requests.append({first.value(0), first.value(1), buffer.mid(headerEnd + 4, length)});
                }
                const QByteArray body = "{\"ok\":true}";
                socket->write("HTTP/1.1 " + QByteArray::number(m_status.load())
                              + " X\r\nContent-Type: application/json\r\n"
                                "Content-Length: "
                              + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
                socket->disconnectFromHost();
            });
        }
    });
    m_port = server.serverPort();
    exec();
}

} // namespace bw::test
