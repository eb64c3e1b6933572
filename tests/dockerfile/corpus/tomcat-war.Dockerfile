FROM tomcat:9.0
RUN rm -rf /usr/local/tomcat/webapps/*
COPY target/ROOT.war /usr/local/tomcat/webapps/ROOT.war
RUN chmod -R 777 /usr/local/tomcat/logs
EXPOSE 8080
CMD ["catalina.sh", "run"]
