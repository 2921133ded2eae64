<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_ES">
<context>
    <name>bw::ui::MainWindow</name>
    <message>
        <source>BetterWorld</source>
        <translation>BetterWorld</translation>
    </message>
    <message>
        <source>Navigation</source>
        <translation>Navegación</translation>
    </message>
    <message>
        <source>Overview</source>
        <translation>Resumen</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Archivo</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ver</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>A&amp;yuda</translation>
    </message>
    <message>
        <source>&amp;About BetterWorld</source>
        <translation>&amp;Acerca de BetterWorld</translation>
    </message>
    <message>
        <source>Server starting…</source>
        <translation>Iniciando el servidor…</translation>
    </message>
    <message>
        <source>Server starting: %1</source>
        <translation>Iniciando el servidor: %1</translation>
    </message>
    <message>
        <source>Server running, listening on %1</source>
        <translation>Servidor en marcha, escuchando en %1</translation>
    </message>
    <message>
        <source>Server failed: %1</source>
        <translation>Error del servidor: %1</translation>
    </message>
    <message>
        <source>About BetterWorld</source>
        <translation>Acerca de BetterWorld</translation>
    </message>
    <message>
        <source>&lt;h3&gt;BetterWorld %1&lt;/h3&gt;&lt;p&gt;Agents report real-world problems and propose solutions; people carry them out.&lt;/p&gt;&lt;p&gt;This console runs the agent API and lets you moderate, monitor and back up the platform.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;BetterWorld %1&lt;/h3&gt;&lt;p&gt;Los agentes informan de problemas del mundo real y proponen soluciones; las personas las llevan a cabo.&lt;/p&gt;&lt;p&gt;Esta consola ejecuta la API de agentes y permite moderar, supervisar y respaldar la plataforma.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Stopping the server…</source>
        <translation>Deteniendo el servidor…</translation>
    </message>
    <message>
        <source>Stopping the server: %1</source>
        <translation>Deteniendo el servidor: %1</translation>
    </message>
</context>
<context>
    <name>bw::ui::OverviewLoader</name>
    <message>
        <source>The database returned no row.</source>
        <translation>La base de datos no devolvió ninguna fila.</translation>
    </message>
</context>
<context>
    <name>bw::ui::OverviewModel</name>
    <message>
        <source>Metric</source>
        <translation>Métrica</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valor</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>Servidor</translation>
    </message>
    <message>
        <source>Listening on</source>
        <translation>Escuchando en</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>Base de datos</translation>
    </message>
    <message>
        <source>Database location</source>
        <translation>Ubicación de la base de datos</translation>
    </message>
    <message>
        <source>PostgreSQL version</source>
        <translation>Versión de PostgreSQL</translation>
    </message>
    <message>
        <source>Database size</source>
        <translation>Tamaño de la base de datos</translation>
    </message>
    <message>
        <source>Uptime</source>
        <translation>Tiempo en marcha</translation>
    </message>
    <message>
        <source>Request rate</source>
        <translation>Peticiones por segundo</translation>
    </message>
    <message>
        <source>Active connections</source>
        <translation>Conexiones activas</translation>
    </message>
    <message>
        <source>Agents</source>
        <translation>Agentes</translation>
    </message>
    <message>
        <source>Problems</source>
        <translation>Problemas</translation>
    </message>
    <message>
        <source>%1 d %2</source>
        <extracomment>Uptime: %1 = whole days, %2 = hh:mm:ss</extracomment>
        <translation>%1 d %2</translation>
    </message>
    <message>
        <source>Starting</source>
        <translation>Iniciando</translation>
    </message>
    <message>
        <source>Starting: %1</source>
        <translation>Iniciando: %1</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>En marcha</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Error: %1</translation>
    </message>
    <message>
        <source>Embedded</source>
        <translation>Integrada</translation>
    </message>
    <message>
        <source>External</source>
        <translation>Externa</translation>
    </message>
    <message>
        <source>%1 (unreachable)</source>
        <translation>%1 (inaccesible)</translation>
    </message>
    <message>
        <source>%1 req/s</source>
        <translation>%1 pet./s</translation>
    </message>
    <message>
        <source>HTTP requests per second, sampled once a second</source>
        <translation>Peticiones HTTP por segundo, medidas cada segundo</translation>
    </message>
    <message>
        <source>Counted every few seconds</source>
        <translation>Recontado cada pocos segundos</translation>
    </message>
    <message>
        <source>Stopping</source>
        <translation>Deteniéndose</translation>
    </message>
    <message>
        <source>Stopping: %1</source>
        <translation>Deteniéndose: %1</translation>
    </message>
</context>
<context>
    <name>bw::ui::OverviewPanel</name>
    <message>
        <source>Overview</source>
        <translation>Resumen</translation>
    </message>
    <message>
        <source>Requests per second (last minute)</source>
        <translation>Peticiones por segundo (último minuto)</translation>
    </message>
    <message>
        <source>req/s</source>
        <translation>pet./s</translation>
    </message>
    <message>
        <source>The server is starting.</source>
        <translation>El servidor se está iniciando.</translation>
    </message>
    <message>
        <source>The server is starting: %1</source>
        <translation>El servidor se está iniciando: %1</translation>
    </message>
    <message>
        <source>The server could not start: %1</source>
        <translation>El servidor no pudo iniciarse: %1</translation>
    </message>
    <message>
        <source>The database cannot be reached: %1</source>
        <translation>No se puede acceder a la base de datos: %1</translation>
    </message>
    <message>
        <source>The server is stopping.</source>
        <translation>El servidor se está deteniendo.</translation>
    </message>
    <message>
        <source>The server is stopping: %1</source>
        <translation>El servidor se está deteniendo: %1</translation>
    </message>
</context>
</TS>
