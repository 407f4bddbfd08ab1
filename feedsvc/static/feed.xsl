<?xml version="1.0" encoding="utf-8"?>
<!-- Renders feedsvc's Atom feeds as a readable page when opened in a browser that still
     runs XSLT on a feed served as XML (a static host). feedsvc's own server sends browsers
     to the page version (the .html beside each feed) instead, XSLT or not.
     Only text is shown (titles, dates, summaries): entry content stays in the feed, so no
     third-party markup is ever interpreted here. Titles link to the archived pages. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:atom="http://www.w3.org/2005/Atom"
                xmlns:fh="http://purl.org/syndication/history/1.0"
                exclude-result-prefixes="atom fh">
  <xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat"/>
  <xsl:template match="/atom:feed">
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="atom:title"/></title>
        <style>
          body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}
          small{color:#666}.hint{background:#f4f4f4;padding:.75rem 1rem;border-radius:.5rem}
          code{word-break:break-all}li{margin:.75rem 0}
        </style>
      </head>
      <body>
        <h1><xsl:value-of select="atom:title"/></h1>
        <xsl:variable name="self" select="atom:link[@rel='self']/@href"/>
        <p class="hint">This is a <strong>feed</strong>. To follow it, copy this URL into
          your feed reader: <code><xsl:value-of select="$self"/></code><br/>
          <a href="{concat(substring($self, 1, string-length($self) - 4), '.html')}">Read
            it as a web page</a>, with every article.
          <xsl:if test="fh:archive"><br/>This page is part of the feed's archive; the newest
            entries are at <a href="{atom:link[@rel='current']/@href}">the feed itself</a>.
          </xsl:if>
        </p>
        <p><a href="{atom:link[@rel='alternate']/@href}">All feeds</a>
          <xsl:if test="atom:link[@rel='prev-archive']"> · <a
            href="{atom:link[@rel='prev-archive']/@href}">Older entries</a></xsl:if>
          <xsl:if test="atom:link[@rel='next-archive']"> · <a
            href="{atom:link[@rel='next-archive']/@href}">Newer entries</a></xsl:if>
        </p>
        <ul>
          <xsl:for-each select="atom:entry">
            <li>
              <xsl:if test="@xml:lang"><xsl:attribute name="lang"><xsl:value-of
                select="@xml:lang"/></xsl:attribute></xsl:if>
              <xsl:choose>
                <xsl:when test="atom:link[@rel='alternate']">
                  <a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of
                    select="atom:title"/></a>
                </xsl:when>
                <xsl:otherwise><xsl:value-of select="atom:title"/></xsl:otherwise>
              </xsl:choose>
              <br/><small><xsl:value-of select="substring(atom:published, 1, 10)"/>
                <xsl:if test="atom:source/atom:title"> · <xsl:value-of
                  select="atom:source/atom:title"/></xsl:if></small>
              <xsl:if test="atom:summary"><br/><xsl:value-of select="atom:summary"/></xsl:if>
            </li>
          </xsl:for-each>
        </ul>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
