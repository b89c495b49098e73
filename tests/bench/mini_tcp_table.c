// SPDX-License-Identifier: MIT
/*
 * NAME
 *   mini_tcp_table - the least a real tcp_table recipient map can be
 * SYNOPSIS
 *   mini_tcp_table PORT ADDRESS-FILE
 * DESCRIPTION
 *   The yardstick for rcptdb-server in tests/bench/postfix-bench: loads
 *   one address per line from ADDRESS-FILE into an open-addressing hash
 *   set, listens on 127.0.0.1:PORT, and answers each "get KEY\n" with
 *   "200 ok\n" if KEY is in the set, else "500 not%20found\n". One thread,
 *   level-triggered epoll, no decoding (the benchmark's keys need none),
 *   no allocation per request. Runs until killed.
 * SEE ALSO
 *   tests/bench/postfix-bench, tcp_table(5)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define LINE_MAX_BYTES 4096

static char **slots;
static size_t nslots;

static size_t hash(const char *s, size_t n) {
  size_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

static void add(const char *s, size_t n) {
  size_t i = hash(s, n) & (nslots - 1);
  while (slots[i]) i = (i + 1) & (nslots - 1);
  slots[i] = strndup(s, n);
}

static int has(const char *s, size_t n) {
  size_t i = hash(s, n) & (nslots - 1);
  for (; slots[i]; i = (i + 1) & (nslots - 1))
    if (strlen(slots[i]) == n && memcmp(slots[i], s, n) == 0) return 1;
  return 0;
}

static void load(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    exit(1);
  }
  size_t lines = 0;
  int c;
  while ((c = getc(f)) != EOF) lines += c == '\n';
  for (nslots = 1024; nslots < 2 * lines; nslots *= 2) {
  }
  slots = calloc(nslots, sizeof *slots);
  rewind(f);
  char buf[LINE_MAX_BYTES];
  while (fgets(buf, sizeof buf, f)) add(buf, strcspn(buf, "\n"));
  fclose(f);
}

struct conn {
  char buf[LINE_MAX_BYTES];
  size_t len;
};

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: mini_tcp_table PORT ADDRESS-FILE\n");
    return 2;
  }
  load(argv[2]);
  int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) || listen(lfd, 128)) {
    perror("mini_tcp_table: bind");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  static struct conn conns[MAX_CONNS];
  static char out[65536];
  for (;;) {
    struct epoll_event evs[64];
    int n = epoll_wait(ep, evs, 64, -1);
    for (int e = 0; e < n; e++) {
      int fd = evs[e].data.fd;
      if (fd == lfd) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0) continue;
        if (c >= MAX_CONNS) {
          close(c);
          continue;
        }
        conns[c].len = 0;
        ev.events = EPOLLIN;
        ev.data.fd = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        continue;
      }
      struct conn *k = &conns[fd];
      ssize_t got = read(fd, k->buf + k->len, sizeof k->buf - k->len);
      if (got <= 0) {
        close(fd);
        continue;
      }
      k->len += (size_t)got;
      size_t start = 0, olen = 0;
      char *lf;
      while ((lf = memchr(k->buf + start, '\n', k->len - start))) {
        size_t n = (size_t)(lf - (k->buf + start));
        const char *key = k->buf + start;
        if (n >= 4 && memcmp(key, "get ", 4) == 0 && has(key + 4, n - 4)) {
          memcpy(out + olen, "200 ok\n", 7);
          olen += 7;
        } else {
          memcpy(out + olen, "500 not%20found\n", 16);
          olen += 16;
        }
        start += n + 1;
        if (olen > sizeof out - 32) break;
      }
      memmove(k->buf, k->buf + start, k->len - start);
      k->len -= start;
      if (k->len == sizeof k->buf) k->len = 0; /* an overlong line: drop it */
      if (olen && write(fd, out, olen) < 0) close(fd);
    }
  }
}
