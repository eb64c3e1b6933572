FROM centos:7
RUN yum -y update && yum -y install httpd php && yum clean all
RUN yum install -y --nogpgcheck epel-release
ADD index.php /var/www/html/
EXPOSE 80
CMD ["/usr/sbin/httpd", "-D", "FOREGROUND"]
