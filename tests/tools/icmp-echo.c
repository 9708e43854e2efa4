/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sends one ICMP echo to 127.0.0.1 through an unprivileged ICMP socket
   (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), icmp(7)), which needs no
   CAP_NET_RAW but a group inside net.ipv4.ping_group_range.  busybox's
   ping only uses raw sockets, so the tests bring this, built static.
   Prints `reply` and exits 0, or prints why and exits 2.  */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int
main (void)
{
  struct sockaddr_in to = { .sin_family = AF_INET };
  struct timeval tv = { .tv_sec = 2 };
  struct icmphdr echo = { .type = ICMP_ECHO }, reply;
  int fd;

  to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  echo.un.echo.sequence = htons (1);
  fd = socket (AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  if (fd < 0)
    {
      printf ("socket: %s\n", strerror (errno));
      return 2;
    }
  if (setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0
      || sendto (fd, &echo, sizeof echo, 0, (struct sockaddr *)&to, sizeof to) < 0)
    {
      printf ("sendto: %s\n", strerror (errno));
      return 2;
    }
  if (recv (fd, &reply, sizeof reply, 0) < (ssize_t)sizeof reply)
    {
      printf ("recv: %s\n", strerror (errno));
      return 2;
    }
  if (reply.type != ICMP_ECHOREPLY)
    {
      printf ("unexpected ICMP type %d\n", reply.type);
      return 2;
    }
  printf ("reply\n");
  close (fd);
  return 0;
}
